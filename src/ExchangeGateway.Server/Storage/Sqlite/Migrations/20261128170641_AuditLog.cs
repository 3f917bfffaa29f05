using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AuditLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AuditRecords",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TraceId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: false),
                    OperationId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 16, nullable: false),
                    Operation = table.Column<string>(type: "TEXT", unicode: false, maxLength: 128, nullable: false),
                    ProcessingActivity = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    CallerOin = table.Column<string>(type: "TEXT", unicode: false, maxLength: 20, nullable: false),
                    OrganisationId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditRecords", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditSubjects",
                columns: table => new
                {
                    RecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", unicode: false, maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditSubjects", x => new { x.RecordId, x.Subject });
                    table.ForeignKey(
                        name: "FK_AuditSubjects_AuditRecords_RecordId",
                        column: x => x.RecordId,
                        principalTable: "AuditRecords",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_OrganisationId_StartedAt",
                table: "AuditRecords",
                columns: new[] { "OrganisationId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_StartedAt",
                table: "AuditRecords",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_TraceId",
                table: "AuditRecords",
                column: "TraceId");

            migrationBuilder.CreateIndex(
                name: "IX_AuditSubjects_Subject",
                table: "AuditSubjects",
                column: "Subject");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditSubjects");

            migrationBuilder.DropTable(
                name: "AuditRecords");
        }
    }
}
