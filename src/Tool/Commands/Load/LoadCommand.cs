using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load;
using TailGuard.Load.Distributed;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Load;

/// <summary>
/// <c>tailguard load</c>: the open-loop generator (docs/load.md). Sweeps each <c>--target</c> over <c>--rates</c> or
/// <c>--sweep</c> (fractions of a measured capacity), prints a table as points finish, writes CSV, JSON and a plot,
/// and exits 3 when a self-check failed. With <c>--agents</c> the points run on load agents; with <c>--agent</c> this
/// process is one.
/// </summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var o = new LoadOptions();
        var command = new Command("load", "Open-loop load with self-checks: latency percentiles with confidence intervals, sweeps, plots, agents.");
        foreach (var option in o.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) =>
        {
            o.Validate(parse);
            return parse.GetValue(o.Agent) ? RunAgentAsync(parse, o, cancellationToken) : RunAsync(parse, o, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAgentAsync(ParseResult parse, LoadOptions o, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var listen = parse.GetValue(o.Listen)!;
        using var agent = new LoadAgent(listen, description =>
        {
            var (spec, error) = TargetSpec.Parse(description);
            return error is null ? spec!.Create() : throw new ArgumentException(error);
        });
        agent.Log += line => output.WriteLine(line);
        try
        {
            agent.Start();
        }
        catch (SocketException error)
        {
            throw SocketErrors.Listen(listen, error);
        }

        output.WriteLine($"load agent listening on {agent.LocalEndPoint}; Ctrl+C or SIGTERM stops");
        await agent.RunAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The highest offered rate at which the generator's own receive loops block by default. Up to it a blocked loop
    /// keeps up and leaves the cores to the sending thread and the target; above it, on a busy machine, blocked loops
    /// woke too late to keep up (22.8k of 50k/s blocking against 49.9k adaptive, load 14-33), so the loops spin
    /// (docs/load.md, "The sending thread").
    /// </summary>
    internal const double BlockingUpToRate = 20_000;

    /// <summary>
    /// The generator's own receive loops, unless told otherwise: blocking when kernel receive timestamps keep the
    /// wake-up out of the measured latency and no point of the sweep offers more than <see cref="BlockingUpToRate"/>;
    /// otherwise the runtime's default (adaptive). A capacity sweep's rates are not known in advance and its capacity
    /// probe runs flat out, so it spins too.
    /// </summary>
    internal static TailGuard.R2P2.ReceiveMode ClientReceiveMode(bool kernelTimestamps, SweepPlan plan)
        => kernelTimestamps && plan.Rates is { Count: > 0 } rates && rates.Max() <= BlockingUpToRate
            ? TailGuard.R2P2.ReceiveMode.Blocking
            : new TailGuard.R2P2.R2P2ClientOptions().ReceiveMode;

    private static async Task<int> RunAsync(ParseResult parse, LoadOptions o, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var kernelTimestamps = !parse.GetValue(o.NoKernelTimestamps);
        var plan = o.Plan(parse);
        var targets = parse.GetValue(o.Targets)!.Select(t => t with
        {
            Size = o.Size.Get(parse),
            Mode = o.Modes.Resolve(parse, ClientReceiveMode(kernelTimestamps, plan)),
            KernelTimestamps = kernelTimestamps,
        }).ToArray();
        var options = o.GeneratorOptions(parse);
        var agents = parse.GetValue(o.Agents) ?? [];
        CheckOutputs(parse, o);
        var progress = ProgressDisplay.For(output);
        var environment = LoadEnvironment.Capture();
        progress.WriteLine(string.IsNullOrEmpty(environment.LoadAverage) ? $"{environment.Machine}, {environment.Processors} processors" : $"{environment.Machine}, {environment.Processors} processors, load average {environment.LoadAverage}");

        var sweeps = new List<LoadSweepResult>();
        foreach (var spec in targets)
        {
            var sweep = await progress.RunAsync(() => SweepAsync(spec, options, plan, agents, progress, cancellationToken)).ConfigureAwait(false);
            sweeps.Add(sweep);
            progress.WriteLine(Summary(sweep));
        }

        var report = new LoadReport { Environment = environment, Sweeps = sweeps, LoadAverageAtEnd = LoadEnvironment.ReadLoadAverage() };
        Write(report, parse, o, output);
        var failed = sweeps.SelectMany(s => s.Points).Count(p => !p.Passed);
        if (failed > 0)
        {
            output.WriteLine($"{failed} point(s) failed a self-check: their numbers are not to be quoted as they are (see docs/load.md, \"When a check fails\").");
            return ExitCodes.ChecksFailed;
        }

        return ExitCodes.Ok;
    }

    private static async Task<LoadSweepResult> SweepAsync(TargetSpec spec, LoadGeneratorOptions options, SweepPlan plan, IReadOnlyList<IPEndPoint> agents, ProgressDisplay progress, CancellationToken cancellationToken)
    {
        var header = true;
        void PointDone(LoadPointResult point)
        {
            if (header)
            {
                progress.WriteLine(LoadReportWriter.TableHeader(point.Percentiles.Select(p => p.Percentile)));
                header = false;
            }

            progress.WriteLine(LoadReportWriter.FormatPoint(point));
        }

        if (agents.Count > 0)
        {
            LoadCoordinator coordinator;
            try
            {
                coordinator = await LoadCoordinator.ConnectAsync(agents, spec.ToString(), options, cancellationToken).ConfigureAwait(false);
            }
            catch (LoadAgentException error)
            {
                throw new ToolException(error.Message, error);
            }

            await using (coordinator.ConfigureAwait(false))
            {
                progress.WriteLine($"{spec.Scheme}://{spec.Server} from {coordinator.AgentCount} agents ({coordinator.ReceiveTimestamps} receive timestamps)");
                try
                {
                    return await LoadSweep.RunAsync(coordinator, plan, progress, PointDone, cancellationToken).ConfigureAwait(false);
                }
                catch (LoadAgentException error)
                {
                    throw new ToolException(error.Message, error);
                }
            }
        }

        var target = spec.Create();
        await using (target.ConfigureAwait(false))
        {
            await spec.ProbeAsync(target, cancellationToken).ConfigureAwait(false);
            await using var generator = await LoadGenerator.ConnectAsync(target, options, cancellationToken).ConfigureAwait(false);
            progress.WriteLine($"{target.Name}: {options.Connections} connections ({options.LatencyConnections} measuring latency) on {options.SendingThreads} sending thread(s), {generator.ReceiveTimestamps} receive timestamps");
            return await LoadSweep.RunAsync(generator, plan, progress, PointDone, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The two numbers a sweep is run for: how far the checks held, and how far p99 stayed under 1 ms without errors.</summary>
    private static string Summary(LoadSweepResult sweep)
    {
        var passing = sweep.Points.Where(p => p.Passed).Select(p => (double?)p.AchievedRate).Max();
        var fast = sweep.HighestRateWithin(TimeSpan.FromMilliseconds(1));
        return $"{sweep.Target}: self-checks passed up to {(passing is { } rate ? LoadReport.ShortRate(rate) + " requests/s" : "no rate")}; " +
               $"p99 under 1 ms with no errors (checks passed) up to {(fast is { } within ? LoadReport.ShortRate(within) + " requests/s" : "no rate")}";
    }

    /// <summary>
    /// Refuses a <c>--csv</c>, <c>--json</c> or <c>--plot</c> file that cannot be written before any point is measured,
    /// not after a sweep of minutes: each is opened for writing (its folder made) without losing what an existing file
    /// holds, and a file made only for the check is removed again.
    /// </summary>
    private static void CheckOutputs(ParseResult parse, LoadOptions o)
    {
        var paths = (parse.GetValue(o.Csv) ?? []).Concat(parse.GetValue(o.Json) ?? []).Concat(parse.GetValue(o.Plot) ?? []);
        foreach (var path in paths)
        {
            var existed = File.Exists(path);
            Open(path, FileMode.OpenOrCreate).Dispose();
            if (!existed)
            {
                File.Delete(path);
            }
        }
    }

    private static void Write(LoadReport report, ParseResult parse, LoadOptions o, TextWriter output)
    {
        foreach (var path in parse.GetValue(o.Csv) ?? [])
        {
            using var writer = new StreamWriter(Open(path, FileMode.Create));
            LoadReportWriter.WriteCsv(report, writer);
            output.WriteLine($"wrote {path}");
        }

        foreach (var path in parse.GetValue(o.Json) ?? [])
        {
            using var stream = Open(path, FileMode.Create);
            LoadReportWriter.WriteJson(report, stream);
            output.WriteLine($"wrote {path}");
        }

        foreach (var path in parse.GetValue(o.Plot) ?? [])
        {
            try
            {
                LatencyPlot.Save(report, path);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new ToolException($"cannot write {path}: {error.Message}", error);
            }

            output.WriteLine($"wrote {path}");
        }
    }

    private static FileStream Open(string path, FileMode mode)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            return new FileStream(path, mode, FileAccess.Write);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"cannot write {path}: {error.Message}", error);
        }
    }
}
