using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ExchangeGateway.Server.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AuditForeignOperation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ForeignOperationId",
                table: "AuditRecords",
                type: "TEXT",
                unicode: false,
                maxLength: 16,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ForeignOperationId",
                table: "AuditRecords");
        }
    }
}
