using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>One method: its id (1-based, ordinal order of name and signature), result type ("" for void) and parameters.</summary>
internal sealed record BoundaryMethod(uint Id, string Name, string ReturnType, bool ReturnsFlag, EquatableArray<BoundaryParameter> Parameters, string Signature);
