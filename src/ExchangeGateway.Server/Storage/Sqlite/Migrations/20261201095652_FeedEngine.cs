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
                name: "Revision",
                table: "Feeds",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeedLeases");

            migrationBuilder.DropColumn(
                name: "AuditSubjects",
                table: "Notices");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "Feeds");
        }
    }
}
