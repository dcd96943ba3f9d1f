using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Persistence;

namespace Refly.Core.Automation;

/// <summary>An automation API token: only its SHA-256 hash is stored; the token itself is shown once.</summary>
public sealed class AutomationTokenRecord
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string Hash { get; set; }

    /// <summary>The token's last characters, so an admin can tell tokens apart.</summary>
    public required string Hint { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>The AutomationTokens table, in the accounts store.</summary>
internal sealed class AutomationTokenRecordConfiguration : IAccountsEntityConfiguration<AutomationTokenRecord>
{
    public void Configure(EntityTypeBuilder<AutomationTokenRecord> token)
    {
        token.ToTable("AutomationTokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Name).HasMaxLength(100);
        token.Property(t => t.Hash).HasMaxLength(64);
        token.Property(t => t.Hint).HasMaxLength(20);
        token.HasIndex(t => t.Hash).IsUnique();
    }
}
