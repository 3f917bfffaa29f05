using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ChainRules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CheckedInAt",
                table: "Travellers",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ResolvedBy",
                table: "Escalations",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "ConsentDecideBy",
                table: "Arrivals",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ConsentDecidedAt",
                table: "Arrivals",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ConsentHouseholdSize",
                table: "Arrivals",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ConsentRefusalReason",
                table: "Arrivals",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ConsentRequestedAt",
                table: "Arrivals",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ConsentStatus",
                table: "Arrivals",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "LateAnnouncement",
                table: "Arrivals",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTime>(
                name: "PersonalDataErasedAt",
                table: "Arrivals",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Deadlines",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    ArrivalId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    DueAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FiredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Deadlines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Deadlines_Arrivals_ArrivalId",
                        column: x => x.ArrivalId,
                        principalTable: "Arrivals",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UnannouncedReports",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    MunicipalityCode = table.Column<string>(type: "character varying(4)", unicode: false, maxLength: 4, nullable: false),
                    ReportedBy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ReportedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ArrivedOn = table.Column<DateOnly>(type: "date", nullable: false),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UnannouncedReports", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "UnannouncedPersons",
                columns: table => new
                {
                    ReportId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    VNumber = table.Column<string>(type: "character varying(10)", unicode: false, maxLength: 10, nullable: false),
                    Match = table.Column<int>(type: "integer", nullable: false),
                    MatchedArrivalId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: true),
                    MatchedMunicipalityCode = table.Column<string>(type: "character varying(4)", unicode: false, maxLength: 4, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UnannouncedPersons", x => new { x.ReportId, x.Position });
                    table.ForeignKey(
                        name: "FK_UnannouncedPersons_UnannouncedReports_ReportId",
                        column: x => x.ReportId,
                        principalTable: "UnannouncedReports",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Arrivals_MunicipalityCode_State",
                table: "Arrivals",
                columns: new[] { "MunicipalityCode", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_Deadlines_ArrivalId_Kind",
                table: "Deadlines",
                columns: new[] { "ArrivalId", "Kind" });

            migrationBuilder.CreateIndex(
                name: "IX_Deadlines_FiredAt_DueAt",
                table: "Deadlines",
                columns: new[] { "FiredAt", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_UnannouncedPersons_VNumber",
                table: "UnannouncedPersons",
                column: "VNumber");

            migrationBuilder.CreateIndex(
                name: "IX_UnannouncedReports_MunicipalityCode",
                table: "UnannouncedReports",
                column: "MunicipalityCode");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Deadlines");

            migrationBuilder.DropTable(
                name: "UnannouncedPersons");

            migrationBuilder.DropTable(
                name: "UnannouncedReports");

            migrationBuilder.DropIndex(
                name: "IX_Arrivals_MunicipalityCode_State",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "CheckedInAt",
                table: "Travellers");

            migrationBuilder.DropColumn(
                name: "ResolvedBy",
                table: "Escalations");

            migrationBuilder.DropColumn(
                name: "ConsentDecideBy",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "ConsentDecidedAt",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "ConsentHouseholdSize",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "ConsentRefusalReason",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "ConsentRequestedAt",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "ConsentStatus",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "LateAnnouncement",
                table: "Arrivals");

            migrationBuilder.DropColumn(
                name: "PersonalDataErasedAt",
                table: "Arrivals");
        }
    }
}
