using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;
using TailGuard.Load;

namespace TailGuard.Tool.Commands.Load;

/// <summary>
/// The latency-vs-throughput plot: per target, p50 and p99 against the achieved throughput, each point with its 95%
/// confidence interval as an error bar, on a logarithmic latency axis; points whose self-checks failed are drawn
/// hollow, and points whose percentile fell among failed requests are left out (they have no latency to draw).
/// </summary>
internal static class LatencyPlot
{
    private static readonly double[] s_percentiles = [50, 99];

    public static void Save(LoadReport report, string path, int width = 1000, int height = 620)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var series = 0;
        foreach (var sweep in report.Sweeps)
        {
            foreach (var percentile in s_percentiles)
            {
                var color = palette.GetColor(series++);
                var points = sweep.Points
                    .Select(p => (Point: p, Estimate: p.Percentile(percentile)))
                    .Where(p => double.IsFinite(p.Estimate.Microseconds) && p.Estimate.Microseconds > 0)
                    .ToList();
                if (points.Count == 0)
                {
                    continue;
                }

                var xs = points.Select(p => p.Point.Throughput).ToArray();
                var ys = points.Select(p => Math.Log10(p.Estimate.Microseconds)).ToArray();
                var line = plot.Add.ScatterLine(xs, ys, color);
                line.LegendText = $"{sweep.Target} p{percentile:0.#}";
                line.LinePattern = percentile == 50 ? LinePattern.Dashed : LinePattern.Solid;
                line.MarkerSize = 0;

                AddMarkers(plot, points.Where(p => p.Point.Passed).ToList(), color, MarkerShape.FilledCircle);
                AddMarkers(plot, points.Where(p => !p.Point.Passed).ToList(), color, MarkerShape.OpenCircle);

                // Error bars in log space: from log10(lower) to log10(upper); an unknown bound draws no bar on that side.
                var below = points.Select(p => double.IsFinite(p.Estimate.LowerMicroseconds) && p.Estimate.LowerMicroseconds > 0
                    ? Math.Log10(p.Estimate.Microseconds) - Math.Log10(p.Estimate.LowerMicroseconds) : 0).ToArray();
                var above = points.Select(p => double.IsFinite(p.Estimate.UpperMicroseconds)
                    ? Math.Log10(p.Estimate.UpperMicroseconds) - Math.Log10(p.Estimate.Microseconds) : 0).ToArray();
                var bars = plot.Add.ErrorBar(xs, ys, above);
                bars.YErrorNegative = below;
                bars.YErrorPositive = above;
                bars.Color = color;
            }
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        var load = string.IsNullOrEmpty(report.Environment.LoadAverage) ? string.Empty : $", load average {report.Environment.LoadAverage}";
        plot.Title($"Latency vs throughput ({report.Environment.Machine}, {report.Environment.Started:yyyy-MM-dd HH:mm} UTC{load})");
        plot.XLabel("throughput (responses/s)");
        plot.YLabel("latency (us, log scale; bars: 95% CI; hollow: a self-check failed)");
        plot.ShowLegend(Alignment.UpperLeft);

        var extension = Path.GetExtension(path).ToLowerInvariant();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _ = extension switch
        {
            ".svg" => plot.SaveSvg(path, width, height),
            ".png" => plot.SavePng(path, width, height),
            _ => throw new ArgumentException($"a plot is a .png or .svg file, not '{extension}'"),
        };
    }

    private static void AddMarkers(Plot plot, List<(LoadPointResult Point, PercentileEstimate Estimate)> points, Color color, MarkerShape shape)
    {
        if (points.Count == 0)
        {
            return;
        }

        var markers = plot.Add.Markers(points.Select(p => p.Point.Throughput).ToArray(), points.Select(p => Math.Log10(p.Estimate.Microseconds)).ToArray(), shape, 8, color);
        markers.LegendText = string.Empty;
    }
}
