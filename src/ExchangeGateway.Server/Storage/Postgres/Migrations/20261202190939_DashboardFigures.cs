using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class DashboardFigures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FeedLagSnapshots",
                columns: table => new
                {
                    TakenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FeedId = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    UnacknowledgedNotices = table.Column<long>(type: "bigint", nullable: false),
                    OldestUnacknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedLagSnapshots", x => new { x.TakenAt, x.FeedId });
                });

            migrationBuilder.CreateTable(
                name: "FeedPresence",
                columns: table => new
                {
                    InstanceId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    FeedId = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    OpenStreams = table.Column<int>(type: "integer", nullable: false),
                    LastAcknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastConnectedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ReportedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedPresence", x => new { x.InstanceId, x.FeedId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_UnannouncedReports_ReportedAt",
                table: "UnannouncedReports",
                column: "ReportedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Escalations_RaisedAt",
                table: "Escalations",
                column: "RaisedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Escalations_ResolvedAt",
                table: "Escalations",
                column: "ResolvedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Arrivals_AnnouncedAt",
                table: "Arrivals",
                column: "AnnouncedAt");

            migrationBuilder.CreateIndex(
                name: "IX_FeedLagSnapshots_FeedId_TakenAt",
                table: "FeedLagSnapshots",
                columns: new[] { "FeedId", "TakenAt" });

            migrationBuilder.CreateIndex(
                name: "IX_FeedPresence_FeedId",
                table: "FeedPresence",
                column: "FeedId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeedLagSnapshots");

            migrationBuilder.DropTable(
                name: "FeedPresence");

            migrationBuilder.DropIndex(
                name: "IX_UnannouncedReports_ReportedAt",
                table: "UnannouncedReports");

            migrationBuilder.DropIndex(
                name: "IX_Escalations_RaisedAt",
                table: "Escalations");

            migrationBuilder.DropIndex(
                name: "IX_Escalations_ResolvedAt",
                table: "Escalations");

            migrationBuilder.DropIndex(
                name: "IX_Arrivals_AnnouncedAt",
                table: "Arrivals");
        }
    }
}
