using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Refly.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunPersonalizationStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RunPersonalizationStats",
                columns: table => new
                {
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Personalizer = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ModelContacts = table.Column<long>(type: "INTEGER", nullable: false),
                    RuleBasedContacts = table.Column<long>(type: "INTEGER", nullable: false),
                    OriginalContacts = table.Column<long>(type: "INTEGER", nullable: false),
                    ModelCalls = table.Column<long>(type: "INTEGER", nullable: false),
                    InputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    OutputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    DistinctGroups = table.Column<long>(type: "INTEGER", nullable: false),
                    CacheHits = table.Column<long>(type: "INTEGER", nullable: false),
                    ModelSeconds = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RunPersonalizationStats", x => x.RunId);
                    table.ForeignKey(
                        name: "FK_RunPersonalizationStats_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RunPersonalizationStats");
        }
    }
}
