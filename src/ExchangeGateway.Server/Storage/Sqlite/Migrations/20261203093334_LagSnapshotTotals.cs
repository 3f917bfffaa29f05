using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class LagSnapshotTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "FeedsWithBacklog",
                table: "FeedLagSnapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "OldestUnacknowledgedAgeSeconds",
                table: "FeedLagSnapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "StaleFeeds",
                table: "FeedLagSnapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FeedsWithBacklog",
                table: "FeedLagSnapshots");

            migrationBuilder.DropColumn(
                name: "OldestUnacknowledgedAgeSeconds",
                table: "FeedLagSnapshots");

            migrationBuilder.DropColumn(
                name: "StaleFeeds",
                table: "FeedLagSnapshots");
        }
    }
}
