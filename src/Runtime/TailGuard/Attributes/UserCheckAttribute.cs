using System;

namespace TailGuard;

/// <summary>
/// The unchecked escape of the trust boundary (Edger8r's <c>user_check</c>): the callee gets a bounded view of the
/// shared region itself, not a private copy. The range is checked once, but the other side can change the bytes at any
/// moment while the callee reads them. The TailGuard analyzer warns (TG2009) at every use.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class UserCheckAttribute : Attribute
{
}
