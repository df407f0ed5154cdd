using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TailGuard.Load.Reporting;

namespace TailGuard.Load;

/// <summary>Writes a <see cref="LoadReport"/> as a text table, CSV or JSON (docs/load.md, "Output").</summary>
public static class LoadReportWriter
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The header line of the table (see <see cref="FormatPoint"/>).</summary>
    /// <param name="percentiles">The reported percentiles.</param>
    /// <returns>The header.</returns>
    public static string TableHeader(IEnumerable<double> percentiles)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{"target",-28} {"offered",9} {"achieved",9} {"tput",9}");
        foreach (var percentile in percentiles)
        {
            var name = "p" + percentile.ToString("0.###", CultureInfo.InvariantCulture) + " us [95% CI]";
            line.Append(CultureInfo.InvariantCulture, $" {name,-26}");
        }

        line.Append(CultureInfo.InvariantCulture, $" {"late p99",9} {"timeouts",8} {"drops",6} {"wrong",6} {"failed",6} {"skipped",7}  checks");
        return line.ToString();
    }

    /// <summary>
    /// One point as a table row, one indented line per failed check, and one when a kernel-stamped point has samples that
    /// ended by the clock. A failed point's row ends in FAILED and its numbers must not be quoted as they are.
    /// </summary>
    /// <param name="point">The point.</param>
    /// <returns>The row (and its failure lines).</returns>
    public static string FormatPoint(LoadPointResult point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var line = new StringBuilder();
        var offered = point.Mode == LoadMode.OpenLoop ? LoadReport.ShortRate(point.TargetRate) : "closed";
        line.Append(CultureInfo.InvariantCulture, $"{Truncate(point.Target, 28),-28} {offered,9} {LoadReport.ShortRate(point.AchievedRate),9} {LoadReport.ShortRate(point.Throughput),9}");
        foreach (var estimate in point.Percentiles)
        {
            line.Append(CultureInfo.InvariantCulture, $" {FormatEstimate(estimate),-26}");
        }

        var lateness = point.SendLateness.Count > 0 ? Micros(point.SendLateness.Estimate(99).Microseconds) : "-";
        line.Append(CultureInfo.InvariantCulture, $" {lateness,9} {point.Timeouts,8} {point.Drops,6} {point.WrongResponses,6} {point.Failures,6} {point.Skipped,7}  ");
        line.Append(point.Passed ? "ok" : "FAILED: " + string.Join(", ", point.FailedChecks.Select(c => c.Name)));
        if (point.ReceiveTimestamps == TimestampSource.KernelSoftware && point.SamplesEndedByClock > 0)
        {
            // Say it when a kernel-stamped point's samples do not all end at the socket: those few end later, by the clock.
            line.AppendLine();
            line.Append(CultureInfo.InvariantCulture, $"    ~ {point.SamplesEndedByClock} of {point.SamplesEndedByClock + point.SamplesEndedAtReceive} samples ended by the clock (no kernel stamp)");
        }

        foreach (var failed in point.FailedChecks)
        {
            line.AppendLine();
            line.Append(CultureInfo.InvariantCulture, $"    ! {failed.Name}: {failed.Detail}");
        }

        return line.ToString();
    }

    /// <summary>"52.1 [51.0, 53.4]"; "&gt;timeout" when the rank fell among failed requests; "n/a" for no samples.</summary>
    /// <param name="estimate">The estimate.</param>
    /// <returns>The text.</returns>
    public static string FormatEstimate(PercentileEstimate estimate)
    {
        if (estimate.Samples == 0 || double.IsNaN(estimate.Microseconds))
        {
            return "n/a";
        }

        if (double.IsPositiveInfinity(estimate.Microseconds))
        {
            return "failed requests";
        }

        return $"{Micros(estimate.Microseconds)} [{Bound(estimate.LowerMicroseconds)}, {Bound(estimate.UpperMicroseconds)}]";
    }

    /// <summary>Writes the whole report as a table, with the environment and every check of every point.</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">Where to write.</param>
    public static void WriteTable(LoadReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(Environment(report));
        foreach (var sweep in report.Sweeps)
        {
            writer.WriteLine();
            writer.WriteLine(sweep.Capacity is { } capacity
                ? $"{sweep.Target}: capacity {LoadReport.ShortRate(capacity)} requests/s (closed loop)"
                : sweep.Target);
            var percentiles = sweep.Points.Count > 0 ? sweep.Points[0].Percentiles.Select(p => p.Percentile) : [];
            writer.WriteLine(TableHeader(percentiles));
            foreach (var point in sweep.Points)
            {
                writer.WriteLine(FormatPoint(point));
            }
        }
    }

    /// <summary>Writes one CSV row per point (invariant culture, microseconds, empty for unknown values).</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">Where to write.</param>
    public static void WriteCsv(LoadReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var percentiles = report.Sweeps.SelectMany(s => s.Points).FirstOrDefault()?.Percentiles.Select(p => p.Percentile).ToArray() ?? [];
        var header = new List<string> { "target", "mode", "target_rate", "achieved_rate", "throughput", "duration_s", "sent", "ok", "timeouts", "drops", "wrong_responses", "failures", "skipped", "faults", "samples", "sampling_interval" };
        foreach (var percentile in percentiles)
        {
            var name = "p" + percentile.ToString("0.###", CultureInfo.InvariantCulture).Replace('.', '_');
            header.AddRange([name + "_us", name + "_low_us", name + "_high_us"]);
        }

        header.AddRange(["lateness_p50_us", "lateness_p99_us", "lateness_max_us", "timestamps", "passed", "failed_checks", "load_average"]);
        writer.WriteLine(string.Join(',', header));
        foreach (var sweep in report.Sweeps)
        {
            foreach (var point in sweep.Points)
            {
                var row = new List<string>
                {
                    Csv(point.Target), point.Mode.ToString(), Number(point.TargetRate), Number(point.AchievedRate), Number(point.Throughput),
                    Number(point.Duration.TotalSeconds), Int(point.Sent), Int(point.Ok), Int(point.Timeouts), Int(point.Drops), Int(point.WrongResponses),
                    Int(point.Failures), Int(point.Skipped), Int(point.Faults), Int(point.Latency.Count), Int(point.SamplingInterval),
                };
                foreach (var percentile in percentiles)
                {
                    var estimate = point.Percentile(percentile);
                    row.AddRange([Number(estimate.Microseconds), Number(estimate.LowerMicroseconds), Number(estimate.UpperMicroseconds)]);
                }

                var lateness = point.SendLateness;
                row.AddRange(
                [
                    lateness.Count > 0 ? Number(lateness.Estimate(50).Microseconds) : "",
                    lateness.Count > 0 ? Number(lateness.Estimate(99).Microseconds) : "",
                    lateness.Count > 0 ? Number(lateness.MicrosecondsAtRank(lateness.Count)) : "",
                    point.ReceiveTimestamps.ToString(), point.Passed ? "true" : "false",
                    Csv(string.Join(' ', point.FailedChecks.Select(c => c.Name))), Csv(report.Environment.LoadAverage),
                ]);
                writer.WriteLine(string.Join(',', row));
            }
        }
    }

    /// <summary>Writes the report as JSON: the environment, then each sweep's points with their checks and histograms.</summary>
    /// <param name="report">The report.</param>
    /// <param name="stream">Where to write (UTF-8).</param>
    public static void WriteJson(LoadReport report, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(stream);
        var document = new ReportDocument
        {
            Environment = report.Environment,
            LoadAverageAtEnd = report.LoadAverageAtEnd,
            Sweeps = report.Sweeps.Select(s => new SweepDocument
            {
                Target = s.Target,
                Capacity = s.Capacity,
                Passed = s.Passed,
                Points = s.Points.Select(PointDocument.From).ToList(),
            }).ToList(),
        };
        JsonSerializer.Serialize(stream, document, s_json);
    }

    internal static string SerializePoint(LoadPointResult point) => JsonSerializer.Serialize(PointDocument.From(point), s_json);

    private static string Environment(LoadReport report)
    {
        var e = report.Environment;
        var load = string.IsNullOrEmpty(e.LoadAverage) ? "n/a" : e.LoadAverage;
        var end = string.IsNullOrEmpty(report.LoadAverageAtEnd) ? string.Empty : $", at the end {report.LoadAverageAtEnd}";
        return $"{e.Started:yyyy-MM-dd HH:mm} UTC on {e.Machine} ({e.Processors} processors, {e.Runtime}); load average {load}{end}";
    }

    private static string Micros(double value) => value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);

    private static string Bound(double value)
        => double.IsNaN(value) ? "?" : double.IsPositiveInfinity(value) ? "failed" : Micros(value);

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    private sealed class ReportDocument
    {
        public LoadEnvironment? Environment { get; set; }

        public string LoadAverageAtEnd { get; set; } = "";

        public List<SweepDocument> Sweeps { get; set; } = [];
    }

    private sealed class SweepDocument
    {
        public string Target { get; set; } = "";

        public double? Capacity { get; set; }

        public bool Passed { get; set; }

        public List<PointDocument> Points { get; set; } = [];
    }
}
