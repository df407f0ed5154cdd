using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>The model, or null when an error stops generation; the diagnostics either way (warnings travel with a model).</summary>
internal sealed record BoundaryParseResult(BoundaryModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
