using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

public sealed class KlaviyoClientTransportTests
{
    [Fact]
    public async Task Get_SendsAuthRevisionAndAcceptHeaders_AndNoKeyInAnyLog()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Account()));

        var account = await host.Client.GetAccountAsync(CancellationToken.None);

        Assert.Equal(new KlaviyoAccount("ACC1", "Example Shop", "shop@example.com"), account);
        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal("https://klaviyo.test/api/accounts", request.Uri.ToString());
        Assert.Equal($"Klaviyo-API-Key {KlaviyoTestHost.ApiKey}", request.Headers["Authorization"]);
        Assert.Equal("2026-07-15", request.Headers["revision"]);
        Assert.Equal("application/vnd.api+json", request.Headers["Accept"]);
        Assert.Null(request.ContentType);

        // Trace-level header logging is on in this host: the header is there, its value is not.
        Assert.Contains(host.Logs.Lines, line => line.Contains("Authorization", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, line => line.Contains("SECRET", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Errors_NeverCarryTheKey_InMessagesOrLogs()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.Unauthorized, "Incorrect authentication credentials."));

        var ex = await Assert.ThrowsAsync<KlaviyoAuthenticationException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.DoesNotContain("SECRET", ex.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(host.Logs.Lines, line => line.Contains("SECRET", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Body_IsSentAsJsonApi()
    {
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        await host.Client.RevertSendJobAsync("C1", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("application/vnd.api+json", request.ContentType);
        Assert.Equal("application/vnd.api+json", request.Headers["Accept"]);
    }

    [Fact]
    public async Task Connection_IsReadPerRequest_SoARuntimeKeyChangeIsUsed()
    {
        var connection = new MutableConnection { BaseUrl = new Uri("http://127.0.0.1:5001"), ApiKey = "first-key" };
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>x</p>")),
            configure: services => services.AddSingleton<IKlaviyoConnection>(connection));

        await host.Client.GetTemplateAsync("T1", CancellationToken.None);
        connection.BaseUrl = new Uri("https://proxy.test/klaviyo/");
        connection.ApiKey = "second-key";
        await host.Client.GetTemplateAsync("T1", CancellationToken.None);

        var requests = host.Handler.Requests;
        Assert.Equal("http://127.0.0.1:5001/api/templates/T1", requests[0].Uri.ToString());
        Assert.Equal("Klaviyo-API-Key first-key", requests[0].Headers["Authorization"]);
        Assert.Equal("https://proxy.test/klaviyo/api/templates/T1", requests[1].Uri.ToString());
        Assert.Equal("Klaviyo-API-Key second-key", requests[1].Headers["Authorization"]);
    }

    [Fact]
    public async Task Get_With429AndRetryAfter_RetriesAfterTheDelay()
    {
        using var host = new KlaviyoTestHost((_, index) => index == 0
            ? FakeKlaviyoHandler.Error(HttpStatusCode.TooManyRequests, "Request was throttled.", retryAfter: TimeSpan.FromSeconds(1))
            : FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>hi</p>")));

        var template = await host.Client.GetTemplateAsync("T1", CancellationToken.None);

        Assert.Equal("<p>hi</p>", template!.Html);
        var requests = host.Handler.Requests;
        Assert.Equal(2, requests.Count);

        // The back-off base delay is 10 ms in these tests: only Retry-After explains a wait of about a second.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(requests[1].At - requests[0].At).TotalMilliseconds} ms");
        var stats = host.Stats.For(KlaviyoEndpoints.GetTemplate.Key);
        Assert.Equal(2, stats.RequestsSent);
        Assert.Equal(1, stats.RateLimited);
        Assert.Equal(1, stats.Retries);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    public async Task Get_WithTransientError_RetriesAndSucceeds(HttpStatusCode status)
    {
        using var host = new KlaviyoTestHost((_, index) => index < 2
            ? FakeKlaviyoHandler.Error(status)
            : FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>ok</p>")));

        var template = await host.Client.GetTemplateAsync("T1", CancellationToken.None);

        Assert.Equal("T1", template!.Id);
        Assert.Equal(3, host.Handler.Requests.Count);
    }

    [Fact]
    public async Task Get_WithNetworkError_Retries()
    {
        using var host = new KlaviyoTestHost((_, index) => index == 0
            ? throw new HttpRequestException("connection refused")
            : FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>ok</p>")));

        var template = await host.Client.GetTemplateAsync("T1", CancellationToken.None);

        Assert.Equal("T1", template!.Id);
        Assert.Equal(2, host.Handler.Requests.Count);
        Assert.Equal(1, host.Stats.For(KlaviyoEndpoints.GetTemplate.Key).Retries);
    }

    [Fact]
    public async Task Get_WhenNoConnectionCanBeMade_RetriesBriefly_ThenThrowsUnreachableWithTheCause()
    {
        // What SocketsHttpHandler throws for a closed port: a connect failure, not an answer that failed.
        using var host = new KlaviyoTestHost(
            (_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (klaviyo.test:443)",
                new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "7" });

        var ex = await Assert.ThrowsAsync<KlaviyoUnreachableException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.Equal(1 + KlaviyoServiceCollectionExtensions.ConnectFailureRetryAttempts, host.Handler.Requests.Count);
        Assert.Equal(KlaviyoServiceCollectionExtensions.ConnectFailureRetryAttempts, host.Stats.For(KlaviyoEndpoints.GetTemplate.Key).Retries);
        Assert.Equal("klaviyo.test", ex.Host);
        Assert.Contains("the connection was refused", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Settings", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WithAConnectionThatBreaksMidAnswer_KeepsEveryRetry()
    {
        // Not a connect failure: Klaviyo was reached, so the bounded retries of a transient failure apply.
        using var host = new KlaviyoTestHost(
            (_, _) => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "4" });

        await Assert.ThrowsAsync<KlaviyoServerException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.Equal(5, host.Handler.Requests.Count);
    }

    [Fact]
    public async Task Get_WithSlowAttempt_TimesOutAndRetries()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>ok</p>")),
            new Dictionary<string, string?> { ["Klaviyo:AttemptTimeout"] = "00:00:00.200" });
        host.Handler.DelayFor = index => index == 0 ? TimeSpan.FromSeconds(30) : null;

        var template = await host.Client.GetTemplateAsync("T1", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("T1", template!.Id);
        Assert.Equal(2, host.Handler.Requests.Count);
        Assert.Equal(1, host.Stats.For(KlaviyoEndpoints.GetTemplate.Key).Retries);
    }

    [Fact]
    public async Task Get_WithEveryAttemptTooSlow_ThrowsServerException()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>ok</p>")),
            new Dictionary<string, string?> { ["Klaviyo:AttemptTimeout"] = "00:00:00.100", ["Klaviyo:MaxRetryAttempts"] = "1" });
        host.Handler.DelayFor = _ => TimeSpan.FromSeconds(30);

        var ex = await Assert.ThrowsAsync<KlaviyoServerException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Null(ex.StatusCode);
        Assert.Equal(2, host.Handler.Requests.Count);
    }

    [Fact]
    public async Task Get_With5xxOnEveryAttempt_ThrowsServerExceptionAfterAllAttempts()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.ServiceUnavailable, "Down for maintenance."),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "3" });

        var ex = await Assert.ThrowsAsync<KlaviyoServerException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.Equal(4, host.Handler.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal("Down for maintenance.", ex.Detail);
    }

    [Fact]
    public async Task Get_With429LongerThanTheRetryBudget_WaitsUntilKlaviyoAnswers()
    {
        // Twelve 429s against a budget of 2 retries: rate limiting is waited out, not counted against the budget.
        using var host = new KlaviyoTestHost(
            (_, index) => index < 12
                ? FakeKlaviyoHandler.Error(HttpStatusCode.TooManyRequests, "Throttled.", retryAfter: TimeSpan.Zero)
                : FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "<p>ok</p>")),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "2" });

        var template = await host.Client.GetTemplateAsync("T1", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("T1", template!.Id);
        Assert.Equal(13, host.Handler.Requests.Count);
        Assert.Equal(12, host.Stats.For(KlaviyoEndpoints.GetTemplate.Key).RateLimited);
    }

    [Fact]
    public async Task Get_WhileWaitingOnA429_StopsAtOnceWhenCancelled()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.TooManyRequests, "Throttled.", retryAfter: TimeSpan.FromHours(1)));
        using var cancel = new CancellationTokenSource();

        var call = host.Client.GetTemplateAsync("T1", cancel.Token);
        while (host.Handler.Requests.Count == 0)
        {
            await Task.Delay(10);
        }
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Single(host.Handler.Requests);
    }

    [Fact]
    public async Task Get_With429ThenPersistent5xx_StillFailsWithinTheFailureBudget()
    {
        // Waiting out a 429 must not make 5xx unbounded: after it, the 2 retries of the failure budget end the call.
        using var host = new KlaviyoTestHost(
            (_, index) => index == 0
                ? FakeKlaviyoHandler.Error(HttpStatusCode.TooManyRequests, "Throttled.", retryAfter: TimeSpan.Zero)
                : FakeKlaviyoHandler.Error(HttpStatusCode.ServiceUnavailable, "Down."),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "2" });

        var ex = await Assert.ThrowsAsync<KlaviyoServerException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.Equal(4, host.Handler.Requests.Count);
        Assert.StartsWith("Klaviyo kept failing get_template (503 Service Unavailable)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task Get_With401Or403_IsNotRetried_AndThrowsAuthenticationException(HttpStatusCode status)
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(status, "Incorrect authentication credentials."));

        var ex = await Assert.ThrowsAsync<KlaviyoAuthenticationException>(() => host.Client.GetAccountAsync(CancellationToken.None));

        Assert.Single(host.Handler.Requests);
        Assert.Equal("Klaviyo rejected the API key", ex.Message);
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal("Incorrect authentication credentials.", ex.Detail);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public async Task Patch_With4xx_IsNotRetried_AndThrowsValidationExceptionWithDetail(HttpStatusCode status)
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(status, "Campaign is not a draft."));

        var ex = await Assert.ThrowsAsync<KlaviyoValidationException>(
            () => host.Client.UpdateCampaignMessageContentAsync("M1", "Hi", "Preview", CancellationToken.None));

        Assert.Single(host.Handler.Requests);
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal("Campaign is not a draft.", ex.Detail);
        var error = Assert.Single(ex.Errors);
        Assert.Equal("invalid", error.Code);
        Assert.Equal("Invalid input.", error.Title);
        Assert.Contains("Campaign is not a draft.", ex.Message);
        Assert.Equal(0, host.Stats.For(KlaviyoEndpoints.UpdateCampaignMessage.Key).Retries);
    }

    [Fact]
    public async Task Get_With404_ReturnsNullWhereDocumented_AndThrowsNotFoundElsewhere()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.NotFound, "Not found."));

        Assert.Null(await host.Client.GetCampaignAsync("C404", CancellationToken.None));
        Assert.Null(await host.Client.GetCampaignMessageAsync("M404", CancellationToken.None));
        Assert.Null(await host.Client.GetTemplateAsync("T404", CancellationToken.None));
        Assert.Null(await host.Client.GetGroupAsync(new KlaviyoGroupRef(KlaviyoGroupKind.Segment, "S404"), CancellationToken.None));
        Assert.Null(await host.Client.GetRecipientEstimateAsync("C404", CancellationToken.None));
        await host.Client.DeleteTemplateAsync("T404", CancellationToken.None);
        await Assert.ThrowsAsync<KlaviyoNotFoundException>(() => host.Client.GetProfileImportJobAsync("J404", CancellationToken.None));
        Assert.Equal(7, host.Handler.Requests.Count);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("<html><body>502</body></html>")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"data\": null}")]
    [InlineData("{\"data\": {\"type\":\"template\"}}")]
    [InlineData("{\"data\": {\"type\":\"template\",\"id\":42,\"attributes\":{}}}")]
    [InlineData("{\"data\": {\"type\":\"template\",\"id\":\"T1\",\"attributes\":{\"html\":[\"x\"]}}}")]
    [InlineData("{\"data\": {\"type\":\"template\",\"id\":\"T1\",\"attributes\":")]
    public async Task Get_WithMalformedOrUnexpectedJson_ThrowsResponseException(string body)
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(body));

        var ex = await Assert.ThrowsAsync<KlaviyoResponseException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.StartsWith("Klaviyo", ex.Message);
        Assert.Single(host.Handler.Requests);
    }

    [Fact]
    public async Task GetCampaigns_WithMessageMissingFromIncluded_ThrowsResponseException()
    {
        using var host = new KlaviyoTestHost((_, _) =>
            FakeKlaviyoHandler.Json(KlaviyoJson.Collection([KlaviyoJson.Campaign("C1", ["M1"], [])], included: [])));

        var ex = await Assert.ThrowsAsync<KlaviyoResponseException>(async () =>
        {
            await foreach (var _ in host.Client.GetEmailCampaignsAsync(CancellationToken.None))
            {
            }
        });

        Assert.Contains("M1", ex.Message);
    }

    [Fact]
    public async Task Cancellation_IsNotWrapped()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Template("T1", "x")));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.Client.GetTemplateAsync("T1", cts.Token));
    }

    private sealed class MutableConnection : IKlaviyoConnection
    {
        public required Uri BaseUrl { get; set; }

        public required string ApiKey { get; set; }
    }
}
