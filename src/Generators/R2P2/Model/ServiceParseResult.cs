using TailGuard.Generators.Common;

namespace TailGuard.Generators.R2P2.Model;

/// <summary>What parsing one interface gives: a model to emit (null when an error stops generation) and diagnostics.</summary>
internal sealed record ServiceParseResult(ServiceModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
