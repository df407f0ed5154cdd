using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace TailGuard.Package.Tests.Analyzers;

/// <summary>One diagnostic from the compiler's SARIF 2.1 error log: rule, level, file name, line, and whether it was suppressed in source.</summary>
internal sealed record SarifResult(string RuleId, string Level, string File, int Line, bool SuppressedInSource);

internal static class SarifLog
{
    /// <summary>Every result of the log (the compiler lists suppressed ones too, with their suppression).</summary>
    internal static List<SarifResult> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var results = new List<SarifResult>();
        foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
        {
            if (!run.TryGetProperty("results", out var items))
            {
                continue;
            }

            foreach (var result in items.EnumerateArray())
            {
                var level = result.TryGetProperty("level", out var l) ? l.GetString() ?? "warning" : "warning";
                var file = "";
                var line = 0;
                if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0 &&
                    locations[0].TryGetProperty("physicalLocation", out var physical))
                {
                    file = Path.GetFileName(new Uri(physical.GetProperty("artifactLocation").GetProperty("uri").GetString()!, UriKind.RelativeOrAbsolute).ToString());
                    line = physical.TryGetProperty("region", out var region) && region.TryGetProperty("startLine", out var start) ? start.GetInt32() : 0;
                }

                var suppressed = result.TryGetProperty("suppressions", out var suppressions) && suppressions.GetArrayLength() > 0;
                results.Add(new SarifResult(result.GetProperty("ruleId").GetString()!, level, file, line, suppressed));
            }
        }

        return results;
    }
}
