using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class BsnHolders : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BsnHolders",
                columns: table => new
                {
                    Bsn = table.Column<string>(type: "character varying(9)", unicode: false, maxLength: 9, nullable: false),
                    VNumber = table.Column<string>(type: "character varying(10)", unicode: false, maxLength: 10, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BsnHolders", x => x.Bsn);
                });

            // Who each BSN recorded so far was reported for: the traveller it was reported for first.
            // Where earlier versions let one BSN be recorded for two people, each later one keeps it as
            // stored (a migration changes no traveller) and gets an open IDENTIFIER_CONFLICT escalation
            // on its arrival, so chain coordination sees it; erased BSNs (empty) are left out.
            migrationBuilder.Sql("""
                INSERT INTO "BsnHolders" ("Bsn", "VNumber")
                SELECT "Bsn", "VNumber" FROM (
                    SELECT "Bsn", "VNumber", ROW_NUMBER() OVER (PARTITION BY "Bsn" ORDER BY "BsnAssignedAt", "ArrivalId") AS n
                    FROM "Travellers" WHERE "Bsn" IS NOT NULL AND "Bsn" <> '') AS ranked
                WHERE n = 1;
                """);
            migrationBuilder.Sql("""
                INSERT INTO "Escalations" ("Id", "ArrivalId", "Kind", "RaisedAt", "Description")
                SELECT gen_random_uuid()::text, t."ArrivalId", 6, now(),
                    'BSN conflict for traveller ' || (t."Position" + 1) || ' of this arrival: its BSN is also recorded for another person, and a BSN is never reused. Both were stored before the gateway refused that; the municipality and the IND need to establish who the BSN belongs to.'
                FROM "Travellers" t JOIN "BsnHolders" h ON h."Bsn" = t."Bsn"
                WHERE h."VNumber" <> t."VNumber";
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BsnHolders");
        }
    }
}
