using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ExchangeGateway.Server.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Arrivals",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    CaseReference = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    MunicipalityCode = table.Column<string>(type: "character varying(4)", unicode: false, maxLength: 4, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    AnnouncedBy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AnnouncedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpectedArrivalDate = table.Column<DateOnly>(type: "date", nullable: false),
                    AcknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DepartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ArrivedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CancelledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CancellationReason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    Details = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Arrivals", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Feeds",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    HeadSequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Feeds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotencyRecords",
                columns: table => new
                {
                    OrganisationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Method = table.Column<string>(type: "character varying(128)", unicode: false, maxLength: 128, nullable: false),
                    RequestHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    Response = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotencyRecords", x => new { x.OrganisationId, x.RequestId });
                });

            migrationBuilder.CreateTable(
                name: "Notices",
                columns: table => new
                {
                    FeedId = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    NoticeId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    Type = table.Column<string>(type: "character varying(100)", unicode: false, maxLength: 100, nullable: false),
                    Subject = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AcknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EscalatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Body = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Notices", x => new { x.FeedId, x.Sequence });
                });

            migrationBuilder.CreateTable(
                name: "ArrivalHistory",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ArrivalId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ArrivalHistory", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ArrivalHistory_Arrivals_ArrivalId",
                        column: x => x.ArrivalId,
                        principalTable: "Arrivals",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Escalations",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    ArrivalId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ResolutionNote = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Escalations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Escalations_Arrivals_ArrivalId",
                        column: x => x.ArrivalId,
                        principalTable: "Arrivals",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Travellers",
                columns: table => new
                {
                    ArrivalId = table.Column<string>(type: "character varying(36)", unicode: false, maxLength: 36, nullable: false),
                    VNumber = table.Column<string>(type: "character varying(10)", unicode: false, maxLength: 10, nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    RegistrationStatus = table.Column<int>(type: "integer", nullable: false),
                    RegisteredOn = table.Column<DateOnly>(type: "date", nullable: true),
                    RefusalReason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Bsn = table.Column<string>(type: "character varying(9)", unicode: false, maxLength: 9, nullable: true),
                    ANumber = table.Column<string>(type: "character varying(10)", unicode: false, maxLength: 10, nullable: true),
                    BsnAssignedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Travellers", x => new { x.ArrivalId, x.VNumber });
                    table.ForeignKey(
                        name: "FK_Travellers_Arrivals_ArrivalId",
                        column: x => x.ArrivalId,
                        principalTable: "Arrivals",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ArrivalHistory_ArrivalId",
                table: "ArrivalHistory",
                column: "ArrivalId");

            migrationBuilder.CreateIndex(
                name: "IX_Arrivals_CaseReference",
                table: "Arrivals",
                column: "CaseReference");

            migrationBuilder.CreateIndex(
                name: "IX_Arrivals_MunicipalityCode_Id",
                table: "Arrivals",
                columns: new[] { "MunicipalityCode", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Escalations_ArrivalId",
                table: "Escalations",
                column: "ArrivalId");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyRecords_ExpiresAt",
                table: "IdempotencyRecords",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_Notices_AwaitingEscalation",
                table: "Notices",
                column: "CreatedAt",
                filter: "\"AcknowledgedAt\" IS NULL AND \"EscalatedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Notices_NoticeId",
                table: "Notices",
                column: "NoticeId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Notices_Unacknowledged",
                table: "Notices",
                columns: new[] { "FeedId", "Sequence" },
                filter: "\"AcknowledgedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Travellers_Bsn",
                table: "Travellers",
                column: "Bsn");

            migrationBuilder.CreateIndex(
                name: "IX_Travellers_VNumber",
                table: "Travellers",
                column: "VNumber");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ArrivalHistory");

            migrationBuilder.DropTable(
                name: "Escalations");

            migrationBuilder.DropTable(
                name: "Feeds");

            migrationBuilder.DropTable(
                name: "IdempotencyRecords");

            migrationBuilder.DropTable(
                name: "Notices");

            migrationBuilder.DropTable(
                name: "Travellers");

            migrationBuilder.DropTable(
                name: "Arrivals");
        }
    }
}
