using Microsoft.CodeAnalysis;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Determinism;

/// <summary>
/// The obvious sources of non-determinism, by the member or constructor an operation uses (docs/diagnostics/TG5001.md
/// to TG5007.md): clocks, unseeded randomness, new GUIDs, the process environment, file/console/network I/O,
/// per-process hash codes, and work started on other threads. A catalog of framework members, kept apart from where
/// the analyzer looks (<see cref="ApplyPathScope"/>) and from how it walks (<see cref="DeterminismAnalyzer"/>).
/// </summary>
internal static class NonDeterminismCatalog
{
    /// <summary>The rule a use of <paramref name="member"/> breaks (a method, property or constructor), or null.</summary>
    /// <param name="member">The member used.</param>
    /// <param name="argumentCount">The arguments of a call or construction (0 for a property).</param>
    internal static DiagnosticDescriptor? Classify(ISymbol member, int argumentCount)
    {
        if (member.ContainingType is not { } type)
        {
            return null;
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
        var typeName = type.Name;
        var name = member.Name;
        var isConstructor = member is IMethodSymbol { MethodKind: MethodKind.Constructor };

        switch (ns)
        {
            case "System":
                switch (typeName)
                {
                    case "DateTime" or "DateTimeOffset" when name is "Now" or "UtcNow" or "Today":
                    case "Environment" when name is "TickCount" or "TickCount64":
                    case "TimeProvider" when name is "System" or "GetUtcNow" or "GetLocalNow" or "GetTimestamp" or "LocalTimeZone":
                    case "TimeZoneInfo" when name is "Local":
                        return DiagnosticRules.ApplyReadsClock;
                    case "Random" when (isConstructor && argumentCount == 0) || name == "Shared":
                        return DiagnosticRules.ApplyUsesUnseededRandom;
                    case "Guid" when name is "NewGuid" or "CreateVersion7":
                        return DiagnosticRules.ApplyCreatesGuid;
                    case "Environment" when name is not ("NewLine" or "FailFast" or "Exit"):
                    case "AppContext" when name is "GetData" or "BaseDirectory" or "TryGetSwitch" or "TargetFrameworkName":
                    case "AppDomain" when name is "CurrentDomain":
                        return DiagnosticRules.ApplyReadsEnvironment;
                    case "Console" when name is "Read" or "ReadLine" or "ReadKey" or "In" or "OpenStandardInput" or "KeyAvailable":
                        return DiagnosticRules.ApplyPerformsIo;
                    case "String" when name == "GetHashCode":
                    case "HashCode":
                        return DiagnosticRules.ApplyUsesRandomizedHash;
                }

                return null;
            case "System.Diagnostics":
                switch (typeName)
                {
                    case "Stopwatch" when name is "GetTimestamp" or "StartNew" or "Start" or "Restart" or "GetElapsedTime":
                        return DiagnosticRules.ApplyReadsClock;
                    case "Process" when name is "GetCurrentProcess" or "Start" or "GetProcesses" or "GetProcessById" or "GetProcessesByName":
                        return DiagnosticRules.ApplyReadsEnvironment;
                }

                return null;
            case "System.Security.Cryptography" when typeName == "RandomNumberGenerator":
                return DiagnosticRules.ApplyUsesUnseededRandom;
            case "System.Runtime.CompilerServices" when typeName == "RuntimeHelpers" && name == "GetHashCode":
                return DiagnosticRules.ApplyUsesRandomizedHash;
            case "System.IO":
                return IsFileSystem(typeName, name, member, isConstructor) ? DiagnosticRules.ApplyPerformsIo : null;
            case "System.Threading":
                switch (typeName)
                {
                    case "Thread" when isConstructor || name is "CurrentThread" or "Start":
                    case "ThreadPool" when name.StartsWith("Queue", System.StringComparison.Ordinal) || name.StartsWith("UnsafeQueue", System.StringComparison.Ordinal):
                    case "Timer" when isConstructor:
                        return name == "CurrentThread" ? DiagnosticRules.ApplyReadsEnvironment : DiagnosticRules.ApplyStartsConcurrentWork;
                }

                return null;
            case "System.Threading.Tasks":
                switch (typeName)
                {
                    case "Task" when name is "Run" or "Factory" or "Start":
                    case "TaskFactory" when name == "StartNew":
                    case "Parallel":
                        return DiagnosticRules.ApplyStartsConcurrentWork;
                }

                return null;
            case "System.Timers" when typeName == "Timer" && isConstructor:
                return DiagnosticRules.ApplyStartsConcurrentWork;
        }

        // Sockets, HTTP, DNS and the rest of System.Net (but not System.Net.IPAddress-style values, which are data).
        if (ns.StartsWith("System.Net", System.StringComparison.Ordinal) && !IsNetworkValue(typeName))
        {
            return DiagnosticRules.ApplyPerformsIo;
        }

        return null;
    }

    private static bool IsFileSystem(string typeName, string name, ISymbol member, bool isConstructor) => typeName switch
    {
        "File" or "Directory" or "FileInfo" or "DirectoryInfo" or "FileSystemInfo" or "FileStream" or "DriveInfo"
            or "FileSystemWatcher" or "RandomAccess" => true,
        "Path" => name is "GetTempPath" or "GetTempFileName" or "GetRandomFileName" or "GetFullPath" or "Exists",
        // A reader or writer over a path opens a file; over a stream it is data.
        "StreamReader" or "StreamWriter" => isConstructor && member is IMethodSymbol { Parameters.Length: > 0 } constructor && constructor.Parameters[0].Type.SpecialType == SpecialType.System_String,
        _ => false,
    };

    private static bool IsNetworkValue(string typeName) => typeName is "IPAddress" or "IPEndPoint" or "IPNetwork" or "WebUtility" or "HttpStatusCode";
}
