using System.Security.Cryptography;
using FluentValidation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Accounts;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Triggers;

namespace Refly.Core.Settings;

/// <summary>
/// Settings saved in the UI. Secrets are encrypted with ASP.NET Core Data Protection before they reach SQLite and
/// are never logged; the decrypted Klaviyo key stays in memory for <see cref="StoredKlaviyoApiKey"/>, which the
/// Klaviyo connection reads on every request. The operational settings (<see cref="SettingKeys"/>: tag trigger, sync
/// interval, personalizer, share of Klaviyo's rate limits) go to <see cref="RuntimeSettings"/>, which overrides configuration in the options monitors.
/// Call <see cref="LoadAsync"/> once at start (after migrations).
/// </summary>
public sealed class SettingsService(
    IDbContextFactory<AccountsDbContext> contexts,
    IDataProtectionProvider dataProtection,
    RuntimeSettings runtime,
    IOptionsMonitor<TriggerOptions> triggerOptions,
    IOptionsMonitor<KlaviyoOptions> klaviyoOptions,
    IOptionsMonitor<PersonalizationOptions> personalizationOptions,
    IOptionsMonitor<LlmPersonalizerOptions> llmOptions,
    TimeProvider time,
    ILogger<SettingsService> logger,
    IFallbackLlmEndpoint? fallbackLlm = null)
{
    /// <summary>Setting key of the Klaviyo private API key (secret).</summary>
    public const string KlaviyoApiKeySetting = "Klaviyo:ApiKey";

    private static readonly KlaviyoApiKeyValidator _keyValidator = new();
    private static readonly TriggerSettingsValidator _triggerValidator = new();
    private static readonly CampaignSyncSettingsValidator _syncValidator = new();
    private static readonly PersonalizerSettingsValidator _personalizerValidator = new();
    private static readonly PersonalizerSettingsValidator _personalizerValidatorWithBuiltInModel = new(builtInModel: true);
    private static readonly RateLimitSettingsValidator _rateLimitValidator = new();
    private readonly SemaphoreSlim _saving = new(1, 1);
    private Dictionary<string, string> _operational = new(StringComparer.OrdinalIgnoreCase);
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Refly.Settings.Secrets.v1");
    private volatile string? _klaviyoApiKey;

    /// <summary>The Klaviyo key saved in Settings, or null (then configuration or the demo sandbox applies).</summary>
    public string? StoredKlaviyoApiKey => _klaviyoApiKey;

    /// <summary>The stored key masked for display (e.g. <c>pk_••••••••3f2a</c>), or null.</summary>
    public string? MaskedKlaviyoApiKey => Mask(_klaviyoApiKey);

    /// <summary>Reads the stored key and the operational settings into memory.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        string[] keys = [KlaviyoApiKeySetting, .. SettingKeys.All];
        var operational = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? klaviyoApiKey = null;
        foreach (var row in await db.Set<StoredSetting>().AsNoTracking().Where(s => keys.Contains(s.Key)).ToListAsync(cancellationToken))
        {
            if (Reveal(row) is not { } value)
            {
                continue;
            }
            if (row.Key == KlaviyoApiKeySetting)
            {
                klaviyoApiKey = value;
            }
            else
            {
                operational[row.Key] = value;
            }
        }
        _klaviyoApiKey = klaviyoApiKey;
        await _saving.WaitAsync(cancellationToken);
        try
        {
            Publish(operational);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>
    /// Validates, encrypts and stores the Klaviyo key; it applies to the next Klaviyo request. Only
    /// <see cref="KlaviyoKeyService.SaveKeyAsync"/> calls it, once Klaviyo accepted the key.
    /// </summary>
    internal async Task<SettingsResult> SaveKlaviyoApiKeyAsync(string? apiKey, CancellationToken cancellationToken)
    {
        var key = apiKey?.Trim() ?? "";
        var validation = await _keyValidator.ValidateAsync(key, cancellationToken);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        await WriteAsync(new Dictionary<string, string?> { [KlaviyoApiKeySetting] = key }, cancellationToken);
        _klaviyoApiKey = key;
        logger.LogInformation("Klaviyo API key changed in Settings");
        return SettingsResult.Ok;
    }

    /// <summary>Forgets the stored key: configuration (or the demo sandbox) applies again (see <see cref="KlaviyoKeyService.RemoveKeyAsync"/>).</summary>
    internal async Task RemoveKlaviyoApiKeyAsync(CancellationToken cancellationToken)
    {
        await WriteAsync(new Dictionary<string, string?> { [KlaviyoApiKeySetting] = null }, cancellationToken);
        _klaviyoApiKey = null;
        logger.LogInformation("Klaviyo API key removed from Settings");
    }

    /// <summary>
    /// What the tag trigger, the campaign sync, the personalizer and the Klaviyo pacing use now, and which values are saved here (the others
    /// come from configuration). The LLM key is only ever masked.
    /// </summary>
    public OperationalSettingsView GetOperationalSettings()
    {
        var triggers = triggerOptions.CurrentValue;
        var llm = llmOptions.CurrentValue;
        var saved = _operational;
        return new OperationalSettingsView(
            new SettingValue<string>(triggers.TagName, saved.ContainsKey(SettingKeys.TriggerTagName)),
            new SettingValue<TimeSpan>(triggers.PollInterval, saved.ContainsKey(SettingKeys.TriggerPollInterval)),
            new SettingValue<TimeSpan>(klaviyoOptions.CurrentValue.SyncInterval, saved.ContainsKey(SettingKeys.CampaignSyncInterval)),
            new SettingValue<string>(personalizationOptions.CurrentValue.Personalizer, saved.ContainsKey(SettingKeys.Personalizer)),
            new SettingValue<string?>(llm.Endpoint?.ToString(), saved.ContainsKey(SettingKeys.LlmEndpoint)),
            new SettingValue<string?>(llm.ModelId, saved.ContainsKey(SettingKeys.LlmModelId)),
            new SettingValue<string?>(Mask(llm.ApiKey), saved.ContainsKey(SettingKeys.LlmApiKey)),
            new SettingValue<double>(klaviyoOptions.CurrentValue.RateLimitShare, saved.ContainsKey(SettingKeys.RateLimitShare)));
    }

    /// <summary>Saves the tag name (trimmed) and poll interval; the next poll looks for that tag, and the poll is rescheduled.</summary>
    public async Task<SettingsResult> SaveTriggerSettingsAsync(TriggerSettingsInput input, CancellationToken cancellationToken)
    {
        var validation = await _triggerValidator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        IntervalInput.TryParse(input.PollInterval, out var interval);
        await SaveAsync(new Dictionary<string, string?>
        {
            [SettingKeys.TriggerTagName] = input.TagName!.Trim(),
            [SettingKeys.TriggerPollInterval] = SettingKeys.FormatInterval(interval),
        }, cancellationToken);
        logger.LogInformation("Tag trigger changed in Settings: tag '{Tag}', poll every {Interval}", input.TagName.Trim(), interval);
        return SettingsResult.Ok;
    }

    /// <summary>Saves the campaign sync interval; the sync is rescheduled.</summary>
    public async Task<SettingsResult> SaveCampaignSyncSettingsAsync(CampaignSyncSettingsInput input, CancellationToken cancellationToken)
    {
        var validation = await _syncValidator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        IntervalInput.TryParse(input.SyncInterval, out var interval);
        await SaveAsync(new Dictionary<string, string?> { [SettingKeys.CampaignSyncInterval] = SettingKeys.FormatInterval(interval) }, cancellationToken);
        logger.LogInformation("Campaign sync interval changed in Settings: every {Interval}", interval);
        return SettingsResult.Ok;
    }

    /// <summary>Saves the share of Klaviyo's rate limits; the next Klaviyo request is paced with it, and estimates use it.</summary>
    public async Task<SettingsResult> SaveRateLimitSettingsAsync(RateLimitSettingsInput input, CancellationToken cancellationToken)
    {
        var validation = await _rateLimitValidator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        ShareInput.TryParse(input.Share, out var share);
        await SaveAsync(new Dictionary<string, string?> { [SettingKeys.RateLimitShare] = SettingKeys.FormatFraction(share) }, cancellationToken);
        logger.LogInformation("Share of Klaviyo's rate limits changed in Settings: {Share:P0}", share);
        return SettingsResult.Ok;
    }

    /// <summary>Forgets the saved share of Klaviyo's rate limits: configuration applies again.</summary>
    public Task ResetRateLimitSettingsAsync(CancellationToken cancellationToken) =>
        ResetAsync([SettingKeys.RateLimitShare], cancellationToken);

    /// <summary>
    /// Saves the personalizer choice and the LLM endpoint and model (empty ones fall back to configuration), and the
    /// LLM key when a new one is given (encrypted; never logged). Runs started afterwards use them.
    /// </summary>
    public async Task<SettingsResult> SavePersonalizerSettingsAsync(PersonalizerSettingsInput input, CancellationToken cancellationToken)
    {
        // In demo mode an LLM without an endpoint is the built-in model.
        var validator = fallbackLlm?.Current is null ? _personalizerValidator : _personalizerValidatorWithBuiltInModel;
        var validation = await validator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        var changes = new Dictionary<string, string?>
        {
            [SettingKeys.Personalizer] = input.Personalizer,
            [SettingKeys.LlmEndpoint] = NullIfBlank(input.Endpoint),
            [SettingKeys.LlmModelId] = NullIfBlank(input.ModelId),
        };
        if (!string.IsNullOrWhiteSpace(input.NewApiKey))
        {
            changes[SettingKeys.LlmApiKey] = input.NewApiKey.Trim();
        }
        else if (input.RemoveApiKey)
        {
            changes[SettingKeys.LlmApiKey] = null;
        }
        await SaveAsync(changes, cancellationToken);
        logger.LogInformation("Personalizer changed in Settings: {Personalizer}, model {Model}, endpoint {Endpoint}, API key {KeyChange}",
            input.Personalizer, NullIfBlank(input.ModelId) ?? "(configuration)", NullIfBlank(input.Endpoint) ?? "(configuration)",
            changes.TryGetValue(SettingKeys.LlmApiKey, out var key) ? key is null ? "removed" : "replaced" : "unchanged");
        return SettingsResult.Ok;
    }

    /// <summary>Forgets the saved tag name and poll interval: configuration applies again.</summary>
    public Task ResetTriggerSettingsAsync(CancellationToken cancellationToken) =>
        ResetAsync([SettingKeys.TriggerTagName, SettingKeys.TriggerPollInterval], cancellationToken);

    /// <summary>Forgets the saved campaign sync interval: configuration applies again.</summary>
    public Task ResetCampaignSyncSettingsAsync(CancellationToken cancellationToken) =>
        ResetAsync([SettingKeys.CampaignSyncInterval], cancellationToken);

    /// <summary>Forgets the saved personalizer, LLM endpoint, model and key: configuration applies again.</summary>
    public Task ResetPersonalizerSettingsAsync(CancellationToken cancellationToken) =>
        ResetAsync([SettingKeys.Personalizer, SettingKeys.LlmEndpoint, SettingKeys.LlmModelId, SettingKeys.LlmApiKey], cancellationToken);

    private async Task ResetAsync(string[] keys, CancellationToken cancellationToken)
    {
        await SaveAsync(keys.ToDictionary(k => k, string? (_) => null), cancellationToken);
        logger.LogInformation("Settings {Keys} removed: configuration applies again", string.Join(", ", keys));
    }

    /// <summary>Writes the operational changes (null deletes), then publishes the new values to the options monitors.</summary>
    private async Task SaveAsync(IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken)
    {
        await _saving.WaitAsync(cancellationToken);
        try
        {
            await WriteAsync(changes, cancellationToken);
            var operational = new Dictionary<string, string>(_operational, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    operational.Remove(key);
                }
                else
                {
                    operational[key] = value;
                }
            }
            Publish(operational);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>Makes <paramref name="operational"/> the saved values in use (the options monitors see them at once); under <c>_saving</c>.</summary>
    private void Publish(Dictionary<string, string> operational)
    {
        _operational = operational;
        runtime.Replace(operational);
    }

    /// <summary>Upserts the rows (secrets encrypted) and deletes those set to null, in one SaveChanges.</summary>
    private async Task WriteAsync(IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = changes.Keys.ToArray();
        var rows = await db.Set<StoredSetting>().Where(s => keys.Contains(s.Key)).ToDictionaryAsync(s => s.Key, StringComparer.OrdinalIgnoreCase, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var (key, value) in changes)
        {
            rows.TryGetValue(key, out var row);
            if (value is null)
            {
                if (row is not null)
                {
                    db.Set<StoredSetting>().Remove(row);
                }
                continue;
            }
            var stored = IsSecret(key) ? _protector.Protect(value) : value;
            if (row is null)
            {
                db.Set<StoredSetting>().Add(new StoredSetting { Key = key, Value = stored, UpdatedAt = now });
            }
            else
            {
                row.Value = stored;
                row.UpdatedAt = now;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private static bool IsSecret(string key) => key == KlaviyoApiKeySetting || SettingKeys.Secrets.Contains(key);

    /// <summary>A stored row's value, decrypted when it is a secret; null when the key ring can no longer decrypt it.</summary>
    private string? Reveal(StoredSetting row)
    {
        if (!IsSecret(row.Key))
        {
            return row.Value;
        }
        try
        {
            return _protector.Unprotect(row.Value);
        }
        catch (CryptographicException ex)
        {
            // The key ring beside the database was lost or replaced: the secret cannot be recovered, only re-entered.
            logger.LogError(ex, "The stored setting {Key} cannot be decrypted (data protection keys changed); enter it again in Settings", row.Key);
            return null;
        }
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    internal static string? Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? null : secret.Length <= 8 ? "••••••••" : $"{secret[..3]}••••••••{secret[^4..]}";
}

/// <summary>"Test connection": asks Klaviyo for the account behind a key, with a bounded wait.</summary>
public sealed class KlaviyoConnectionTester(IKlaviyoClient client, IKlaviyoConnection connection, ILogger<KlaviyoConnectionTester> logger)
{
    /// <summary>How long "Test connection" waits before saying Klaviyo did not answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Tests the connection in use (the key saved in Settings, else configuration, else the demo sandbox).</summary>
    public Task<ConnectionTestResult> TestAsync(CancellationToken cancellationToken) => TestAsync(connection, cancellationToken);

    /// <summary>Tests <paramref name="target"/>: its key at its base URL. The result carries the account when it succeeded.</summary>
    public async Task<ConnectionTestResult> TestAsync(IKlaviyoConnection target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var host = target.BaseUrl.Authority;
        try
        {
            var account = await client.GetAccountAsync(target, timeout.Token);
            var name = string.IsNullOrWhiteSpace(account.OrganizationName) ? "(no organization name)" : account.OrganizationName;
            return new ConnectionTestResult(true, $"Connected to Klaviyo account {name} ({account.Id}) at {host}.") { Account = account };
        }
        catch (KlaviyoAuthenticationException ex)
        {
            var detail = ex.Detail is { } d ? $": {d}" : ".";
            return new ConnectionTestResult(false, $"Klaviyo rejected the API key ({host}, {(int?)ex.StatusCode}){detail}");
        }
        catch (KlaviyoUnreachableException ex)
        {
            return new ConnectionTestResult(false, ex.Message);
        }
        catch (KlaviyoException ex)
        {
            logger.LogWarning("Test connection failed: {Error}", ex.Message);
            return new ConnectionTestResult(false, $"Klaviyo at {host} answered with an error: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return new ConnectionTestResult(false, $"Could not reach Klaviyo at {host}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectionTestResult(false, $"Klaviyo at {host} did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
    }
}
