using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Refly.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CampaignReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CampaignReportRows",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CampaignKlaviyoId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MessageKlaviyoId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Recipients = table.Column<long>(type: "INTEGER", nullable: false),
                    Delivered = table.Column<long>(type: "INTEGER", nullable: false),
                    UniqueOpens = table.Column<long>(type: "INTEGER", nullable: false),
                    UniqueClicks = table.Column<long>(type: "INTEGER", nullable: false),
                    UniqueConversions = table.Column<long>(type: "INTEGER", nullable: false),
                    ConversionValue = table.Column<double>(type: "REAL", nullable: false),
                    ConversionMetricId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    FetchedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignReportRows", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CampaignReportSchedules",
                columns: table => new
                {
                    CampaignKlaviyoId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: false),
                    NextDueAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastFetchedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Fetches = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignReportSchedules", x => x.CampaignKlaviyoId);
                });

            migrationBuilder.CreateTable(
                name: "ReportingBudgetDays",
                columns: table => new
                {
                    Day = table.Column<long>(type: "INTEGER", nullable: false),
                    Queries = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportingBudgetDays", x => x.Day);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignReportRows_CampaignKlaviyoId_MessageKlaviyoId",
                table: "CampaignReportRows",
                columns: new[] { "CampaignKlaviyoId", "MessageKlaviyoId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignReportSchedules_NextDueAt",
                table: "CampaignReportSchedules",
                column: "NextDueAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignReportRows");

            migrationBuilder.DropTable(
                name: "CampaignReportSchedules");

            migrationBuilder.DropTable(
                name: "ReportingBudgetDays");
        }
    }
}
