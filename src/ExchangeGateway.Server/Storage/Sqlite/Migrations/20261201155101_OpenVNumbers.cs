using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class OpenVNumbers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OpenVNumber",
                table: "Travellers",
                type: "TEXT",
                unicode: false,
                maxLength: 10,
                nullable: true);

            // A V-number may be in one open arrival only (Announced, Acknowledged, Departed, Arrived,
            // AwaitingConsent: 1, 2, 3, 4, 7). Where earlier versions let two open arrivals hold the same
            // one, the arrival announced first keeps it; each later one stays as it is (a migration
            // cancels nothing) and gets an open IDENTIFIER_CONFLICT escalation, so chain coordination
            // sees it and COA cancels or amends one of them.
            migrationBuilder.Sql("""
                UPDATE "Travellers" SET "OpenVNumber" = "VNumber"
                WHERE "ArrivalId" IN (SELECT "Id" FROM "Arrivals" WHERE "State" IN (1, 2, 3, 4, 7))
                AND NOT EXISTS (
                    SELECT 1 FROM "Travellers" e
                    JOIN "Arrivals" a ON a."Id" = e."ArrivalId"
                    JOIN "Arrivals" mine ON mine."Id" = "Travellers"."ArrivalId"
                    WHERE e."VNumber" = "Travellers"."VNumber" AND a."State" IN (1, 2, 3, 4, 7)
                    AND (a."AnnouncedAt" < mine."AnnouncedAt" OR (a."AnnouncedAt" = mine."AnnouncedAt" AND a."Id" < mine."Id")));
                """);
            migrationBuilder.Sql("""
                INSERT INTO "Escalations" ("Id", "ArrivalId", "Kind", "RaisedAt", "Description")
                SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                    t."ArrivalId", 6, strftime('%Y-%m-%d %H:%M:%f', 'now'),
                    'V-number conflict for traveller ' || (t."Position" + 1) || ' of this arrival: the same person is also in an open arrival announced earlier. Both were stored before the gateway refused a V-number in two open arrivals; COA needs to cancel or amend one of them.'
                FROM "Travellers" t JOIN "Arrivals" a ON a."Id" = t."ArrivalId"
                WHERE a."State" IN (1, 2, 3, 4, 7) AND t."OpenVNumber" IS NULL;
                """);

            migrationBuilder.CreateIndex(
                name: "IX_Travellers_OpenVNumber",
                table: "Travellers",
                column: "OpenVNumber",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Travellers_OpenVNumber",
                table: "Travellers");

            migrationBuilder.DropColumn(
                name: "OpenVNumber",
                table: "Travellers");
        }
    }
}
