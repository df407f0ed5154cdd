using System.Reflection;

namespace TailGuard.Generators.Common;

/// <summary>Who generated a file: the generators' assembly name and version, read from the assembly itself.</summary>
internal static class GeneratorInfo
{
    public const string Name = GeneratorNames.Assembly;

    /// <summary>The informational version without its build metadata ("0.1.0", not "0.1.0+3f2a..."), else the assembly version.</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>The <c>[GeneratedCode]</c> attribute every generated type carries.</summary>
    public static string GeneratedCodeAttribute { get; } = "[global::System.CodeDom.Compiler.GeneratedCode(\"" + Name + "\", \"" + Version + "\")]";

    private static string ReadVersion()
    {
        Assembly assembly = typeof(GeneratorInfo).Assembly;
        string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            int metadata = informational!.IndexOf('+');
            return metadata < 0 ? informational : informational.Substring(0, metadata);
        }

        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
