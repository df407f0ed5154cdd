using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>
/// One method: its id (1-based, ordinal order of name and signature), name as declared (unescaped), result type ("" for
/// void), parameters, contract signature, and its <c>[Obsolete]</c> rewritten for generated code ("" if none).
/// </summary>
internal sealed record BoundaryMethod(uint Id, string Name, string ReturnType, bool ReturnsFlag, EquatableArray<BoundaryParameter> Parameters, string Signature, string Obsolete);
