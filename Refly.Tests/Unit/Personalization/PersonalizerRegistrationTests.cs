using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class PersonalizerRegistrationTests
{
    [Fact]
    public void AddPersonalizers_NoConfiguration_UsesRuleBased()
    {
        using var provider = Build([]);

        Assert.IsType<RuleBasedPersonalizer>(provider.GetRequiredService<IPersonalizer>());
        Assert.Null(provider.GetRequiredService<IOptions<PersonalizationOptions>>().Value.ExpectedContactsPerSecond);
        Assert.NotNull(provider.GetRequiredService<SendTimeCheck>());
    }

    [Fact]
    public void AddPersonalizers_Llm_UsesTheHostsChatClient()
    {
        using var provider = Build(
            new() { ["Personalization:Personalizer"] = "llm", ["Personalization:Llm:MaxConcurrency"] = "2" },
            services => services.AddSingleton<IChatClient>(FakeChatClient.Answering("{}")));

        var personalizer = Assert.IsType<LlmPersonalizer>(provider.GetRequiredService<IPersonalizer>());
        Assert.Equal("llm", personalizer.Name);
    }

    [Fact]
    public void AddPersonalizers_LlmWithoutModelOrClient_FailsWithAClearMessage()
    {
        using var provider = Build(new() { ["Personalization:Personalizer"] = "llm" });

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IPersonalizer>());
        Assert.Contains("ModelId", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPersonalizers_UnknownPersonalizer_FailsValidation()
    {
        using var provider = Build(new() { ["Personalization:Personalizer"] = "magic" });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PersonalizationOptions>>().Value);
    }

    [Fact]
    public void AddPersonalizers_ZeroConcurrency_FailsValidation()
    {
        using var provider = Build(new() { ["Personalization:Llm:MaxConcurrency"] = "0" });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LlmPersonalizerOptions>>().Value);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        configure?.Invoke(services);
        services.AddPersonalizers(configuration);
        return services.BuildServiceProvider();
    }
}
