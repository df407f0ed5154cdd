using System;

namespace TailGuard;

/// <summary>
/// Marks a method whose result may leave the trust domain even when its inputs are secret (encryption, a MAC,
/// hashing with a salt the host cannot see). A secret flow ends at a call to such a method.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DeclassifierAttribute : Attribute
{
}
