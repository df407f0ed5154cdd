using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TailGuard.Generators.Common;

/// <summary>
/// A diagnostic as a value: its descriptor, where it points and its message arguments (all strings). The parsers
/// produce these; only the contract analyzers report them (the generators never do).
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArguments)
        => new(descriptor, location, new EquatableArray<string>(messageArguments));

    /// <summary>The diagnostic, at <paramref name="location"/> (this value's location, found in the compilation being analyzed).</summary>
    public Diagnostic ToDiagnostic(Location? location)
        => Diagnostic.Create(Descriptor, location, MessageArguments.Cast<object>().ToArray());

    public bool Equals(DiagnosticInfo? other)
        => other is not null
            && string.Equals(Descriptor.Id, other.Descriptor.Id, StringComparison.Ordinal)
            && Equals(Location, other.Location)
            && MessageArguments.Equals(other.MessageArguments);

    public override int GetHashCode() => unchecked((Descriptor.Id.GetHashCode() * 31) + MessageArguments.GetHashCode());
}
