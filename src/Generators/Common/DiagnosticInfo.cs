using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TailGuard.Generators.Common;

/// <summary>A diagnostic as a value: its descriptor, where it points and its message arguments (all strings).</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArguments)
        => new(descriptor, location, new EquatableArray<string>(messageArguments));

    /// <summary>Registers the output that reports every diagnostic a pipeline step produced.</summary>
    public static void ReportAll(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics)
        => context.RegisterSourceOutput(diagnostics, static (output, list) =>
        {
            foreach (DiagnosticInfo diagnostic in list)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Descriptor, Location?.ToLocation(), MessageArguments.Cast<object>().ToArray());

    public bool Equals(DiagnosticInfo? other)
        => other is not null
            && string.Equals(Descriptor.Id, other.Descriptor.Id, StringComparison.Ordinal)
            && Equals(Location, other.Location)
            && MessageArguments.Equals(other.MessageArguments);

    public override int GetHashCode() => unchecked((Descriptor.Id.GetHashCode() * 31) + MessageArguments.GetHashCode());
}
