using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.SqlServer.Migrations
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
                type: "varchar(max)",
                unicode: false,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CauseRecordId",
                table: "Notices",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Revision",
                table: "Feeds",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "AuditDeliveries",
                columns: table => new
                {
                    RecordId = table.Column<long>(type: "bigint", nullable: false),
                    CauseRecordId = table.Column<long>(type: "bigint", nullable: false),
                    Subjects = table.Column<string>(type: "varchar(max)", unicode: false, nullable: false)
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
                    FeedId = table.Column<string>(type: "varchar(32)", unicode: false, maxLength: 32, nullable: false),
                    InstanceId = table.Column<string>(type: "varchar(36)", unicode: false, maxLength: 36, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    WantedAt = table.Column<DateTime>(type: "datetime2", nullable: true)
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
