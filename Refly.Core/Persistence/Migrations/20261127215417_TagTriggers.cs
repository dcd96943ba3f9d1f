using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Refly.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TagTriggers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "TagTriggerStates",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CampaignKlaviyoId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Armed = table.Column<bool>(type: "INTEGER", nullable: false),
                    ArmedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastRunId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Fingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastSeenTaggedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastDecision = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    LastReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    LastDecisionAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TagTriggerStates", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TagTriggerStates_CampaignKlaviyoId",
                table: "TagTriggerStates",
                column: "CampaignKlaviyoId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TagTriggerStates");
        }
    }
}
