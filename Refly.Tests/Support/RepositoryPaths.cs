namespace Refly.Tests.Support;

/// <summary>Finds files of the repository from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string KlaviyoSpec(string slice) => Path.Combine(Root, "Refly.KlaviyoSandbox", "Spec", slice);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Refly.Dashboard.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Refly.Dashboard.sln not found above " + AppContext.BaseDirectory);
    }
}
