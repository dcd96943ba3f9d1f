using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Refly.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CampaignBriefs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Brief",
                table: "Runs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CampaignBriefs",
                columns: table => new
                {
                    CampaignId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Brief = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignBriefs", x => x.CampaignId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignBriefs");

            migrationBuilder.DropColumn(
                name: "Brief",
                table: "Runs");
        }
    }
}
