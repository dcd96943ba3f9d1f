using System.Text.Json;
using Refly.Core.Campaigns;
using Refly.Tests.Support;

namespace Refly.Tests.Unit.Campaigns;

public sealed class CampaignStatusMapperTests
{
    /// <summary>Every status value Klaviyo's campaigns spec lists, read from the spec itself.</summary>
    public static TheoryData<string> SpecStatuses()
    {
        using var spec = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.KlaviyoSpec("campaigns.json")));
        var statuses = spec.RootElement.GetProperty("components").GetProperty("schemas")
            .GetProperty("CampaignResponseObjectResource").GetProperty("properties")
            .GetProperty("attributes").GetProperty("properties").GetProperty("status").GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()!).ToList();
        return new TheoryData<string>(statuses);
    }

    [Theory]
    [MemberData(nameof(SpecStatuses))]
    public void Map_EveryStatusInTheSpec_IsKnownToTheMapper(string rawStatus)
    {
        Assert.Contains(rawStatus, CampaignStatusMapper.KnownRawStatuses);
    }

    [Theory]
    [InlineData("Draft", CampaignStatus.Draft)]
    [InlineData("Scheduled", CampaignStatus.Scheduled)]
    [InlineData("Preparing to schedule", CampaignStatus.Scheduled)]
    [InlineData("Preparing to send", CampaignStatus.Sending)]
    [InlineData("Adding Recipients", CampaignStatus.Sending)]
    [InlineData("Queued without Recipients", CampaignStatus.Sending)]
    [InlineData("Sending", CampaignStatus.Sending)]
    [InlineData("Sending Segments", CampaignStatus.Sending)]
    [InlineData("Variations Sent", CampaignStatus.Sending)]
    [InlineData("Sent", CampaignStatus.Sent)]
    [InlineData("Cancelled", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: Account Disabled", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: Billing Limit", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: Internal Error", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: Misconfigured", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: No Recipients", CampaignStatus.Cancelled)]
    [InlineData("Cancelled: Smart Sending", CampaignStatus.Cancelled)]
    [InlineData("Unknown", CampaignStatus.Unknown)]
    public void Map_RawStatus_GivesHighLevelStatus(string rawStatus, CampaignStatus expected)
    {
        Assert.Equal(expected, CampaignStatusMapper.Map(rawStatus));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Paused")]
    [InlineData("Something new Klaviyo added")]
    public void Map_UnmappedOrMissingStatus_IsUnknown(string? rawStatus)
    {
        Assert.Equal(CampaignStatus.Unknown, CampaignStatusMapper.Map(rawStatus));
    }
}
