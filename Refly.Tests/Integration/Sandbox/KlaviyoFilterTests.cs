using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;

namespace Refly.Tests.Integration.Sandbox;

public sealed class KlaviyoFilterTests
{
    private static readonly IReadOnlyDictionary<string, HashSet<string>> _listProfiles =
        SpecCatalog.Instance.Get("get_profiles_for_list").QueryParameters["filter"].AllowedFilters!;

    [Fact]
    public void Parse_AndOfJoinedWindow_YieldsBothConditions()
    {
        var conditions = KlaviyoFilter.Parse("and(greater-or-equal(joined_group_at,2024-01-01T00:00:00Z),less-than(joined_group_at,2024-02-01T00:00:00Z))", _listProfiles);

        Assert.Equal(2, conditions.Count);
        Assert.Equal(new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero), conditions[1].DateValue);
    }

    [Fact]
    public void Parse_CommaJoinedConditions_AreAnded()
    {
        var conditions = KlaviyoFilter.Parse("any(email,['a@x.co','b@x.co']),greater-than(joined_group_at,2024-01-01T00:00:00Z)", _listProfiles);

        Assert.Equal(["a@x.co", "b@x.co"], conditions[0].StringList);
        Assert.Equal("greater-than", conditions[1].Operator);
    }

    [Theory]
    [InlineData("equals(first_name,'Ava')")]                         // field not allowed
    [InlineData("equals(joined_group_at,2024-01-01T00:00:00Z)")]     // operator not allowed for the field
    [InlineData("greater-than(joined_group_at,'2024-01-01T00:00:00Z')")] // quoted datetime
    [InlineData("equals(email,unquoted)")]
    [InlineData("or(equals(email,'a@x.co'),equals(email,'b@x.co'))")]
    [InlineData("equals(email,'a@x.co'")]
    public void Parse_InvalidFilter_IsRefusedAs400OnTheFilterParameter(string filter)
    {
        var error = Assert.Throws<KlaviyoApiException>(() => KlaviyoFilter.Parse(filter, _listProfiles));

        Assert.Equal(400, error.Status);
        Assert.Equal("filter", error.Parameter);
    }

    [Fact]
    public void Catalog_ReadsRateLimitsAndPageSizesFromTheSlices()
    {
        var profiles = SpecCatalog.Instance.Get("get_profiles_for_list");
        Assert.Equal(new RateLimit(75, 750), profiles.RateLimit);
        Assert.Equal((1, 100, 20), profiles.PageSize);
        Assert.Equal(new RateLimit(3, 60), SpecCatalog.Instance.Get("get_tags").RateLimit);
        Assert.Equal(new RateLimit(10, 150), SpecCatalog.Instance.Get("bulk_import_profiles").RateLimit);
        var list = SpecCatalog.Instance.Get("get_list");
        Assert.Contains(list.ConditionalRateLimits, c => c.Parameter == "additional-fields[list]" && c.Limit == new RateLimit(1, 15));
    }
}
