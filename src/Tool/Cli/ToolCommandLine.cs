using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tool.Commands.Cluster;
using TailGuard.Tool.Commands.Load;
using TailGuard.Tool.Commands.Ping;
using TailGuard.Tool.Commands.Router;
using TailGuard.Tool.Commands.Serve;

namespace TailGuard.Tool.Cli;

/// <summary>
/// The <c>tailguard</c> command line: one subcommand per file under Commands/, sharing the value syntaxes of
/// <see cref="Quantities"/>. Every failure ends as one line on standard error, "tailguard COMMAND: what went wrong",
/// and an exit code from <see cref="ExitCodes"/>; a stack trace is never printed.
/// </summary>
internal static class ToolCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("TailGuard: R2P2 echo servers, a closed-loop ping, an open-loop, self-checking load generator, an R2P2 router, and replicated clusters.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(PingCommand.Create());
        root.Subcommands.Add(LoadCommand.Create());
        root.Subcommands.Add(RouterCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parse = Build().Parse(args);
        var command = Path(parse.CommandResult);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            // "Required command was not provided" says less than "Unrecognized command or argument 'launch'": prefer the latter.
            var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            error.WriteLine($"{command}: {first.Message}");
            error.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolException failure)
        {
            error.WriteLine($"{command}: {failure.Message}");
            if (failure.ExitCode == ExitCodes.Usage)
            {
                error.WriteLine($"Run '{command} --help' for usage.");
            }

            return failure.ExitCode;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine($"{command}: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception failure) when (failure is SocketException or IOException or ArgumentException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException)
        {
            error.WriteLine($"{command}: {OneLine(failure.Message)}");
            return ExitCodes.Failed;
        }
        catch (Exception failure)
        {
            // Not expected: still one line, with the exception's type so a bug report says what happened.
            error.WriteLine($"{command}: unexpected {failure.GetType().Name}: {OneLine(failure.Message)}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>"tailguard load" for the load command's parse result, whatever the executable is called.</summary>
    private static string Path(CommandResult result)
    {
        var path = string.Empty;
        for (CommandResult? at = result; at is not null && at.Command is not RootCommand; at = at.Parent as CommandResult)
        {
            path = " " + at.Command.Name + path;
        }

        return "tailguard" + path;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
