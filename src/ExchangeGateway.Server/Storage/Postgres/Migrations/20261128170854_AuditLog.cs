using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ExchangeGateway.Server.Storage.Postgres.Migrations
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TraceId = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    OperationId = table.Column<string>(type: "character varying(16)", unicode: false, maxLength: 16, nullable: false),
                    Operation = table.Column<string>(type: "character varying(128)", unicode: false, maxLength: 128, nullable: false),
                    ProcessingActivity = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    CallerOin = table.Column<string>(type: "character varying(20)", unicode: false, maxLength: 20, nullable: false),
                    OrganisationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditRecords", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditSubjects",
                columns: table => new
                {
                    RecordId = table.Column<long>(type: "bigint", nullable: false),
                    Subject = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false)
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
