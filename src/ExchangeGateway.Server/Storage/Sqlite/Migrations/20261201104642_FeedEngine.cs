using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class FeedEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AuditSubjects",
                table: "Notices",
                type: "TEXT",
                unicode: false,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CauseRecordId",
                table: "Notices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Revision",
                table: "Feeds",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "AuditDeliveries",
                columns: table => new
                {
                    RecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    CauseRecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    Subjects = table.Column<string>(type: "TEXT", unicode: false, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditDeliveries", x => new { x.RecordId, x.CauseRecordId });
                    table.ForeignKey(
                        name: "FK_AuditDeliveries_AuditRecords_RecordId",
                        column: x => x.RecordId,
                        principalTable: "AuditRecords",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FeedLeases",
                columns: table => new
                {
                    FeedId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: false),
                    InstanceId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 36, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    WantedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedLeases", x => x.FeedId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditDeliveries_CauseRecordId",
                table: "AuditDeliveries",
                column: "CauseRecordId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditDeliveries");

            migrationBuilder.DropTable(
                name: "FeedLeases");

            migrationBuilder.DropColumn(
                name: "AuditSubjects",
                table: "Notices");

            migrationBuilder.DropColumn(
                name: "CauseRecordId",
                table: "Notices");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "Feeds");
        }
    }
}
