using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Refly.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Holdouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "HeldOut",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "HoldoutShare",
                table: "Runs",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.CreateTable(
                name: "HoldoutEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ProfileId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Value = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HoldoutEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HoldoutEvents_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HoldoutResults",
                columns: table => new
                {
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CampaignKlaviyoId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SendTime = table.Column<long>(type: "INTEGER", nullable: false),
                    ReadUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    EventsStored = table.Column<long>(type: "INTEGER", nullable: false),
                    ComputedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    NextRefreshAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResultJson = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HoldoutResults", x => x.RunId);
                    table.ForeignKey(
                        name: "FK_HoldoutResults_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_HoldoutEvents_RunId",
                table: "HoldoutEvents",
                column: "RunId");

            migrationBuilder.CreateIndex(
                name: "IX_HoldoutResults_CampaignKlaviyoId",
                table: "HoldoutResults",
                column: "CampaignKlaviyoId");

            migrationBuilder.CreateIndex(
                name: "IX_HoldoutResults_NextRefreshAt",
                table: "HoldoutResults",
                column: "NextRefreshAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HoldoutEvents");

            migrationBuilder.DropTable(
                name: "HoldoutResults");

            migrationBuilder.DropColumn(
                name: "HeldOut",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "HoldoutShare",
                table: "Runs");
        }
    }
}
