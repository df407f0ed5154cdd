namespace TailGuard.Tool.Cli;

/// <summary>What the tool's exit status means (README.md, "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>Done, and every check passed.</summary>
    public const int Ok = 0;

    /// <summary>Could not do the work: an unreachable server, a port in use, no call succeeded.</summary>
    public const int Failed = 1;

    /// <summary>Bad command line: an unknown option, a malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The load ran, but a self-check failed: its numbers must not be quoted as they are.</summary>
    public const int ChecksFailed = 3;

    /// <summary>Stopped by Ctrl+C before the work was done.</summary>
    public const int Interrupted = 130;
}
