#!/usr/bin/env bash
# Writes a consumer project of N source files (default 400) under DIR: R2P2 service and trust-domain implementations
# (hot paths without marking), [HotPath] types, secrets flowing through locals, helpers and spans, and ordinary cold
# code with LINQ, strings and closures. About 120 lines per file. The contracts are valid, so TailGuard's generators,
# when they run on it, emit a client, a dispatcher, a proxy and an entry for every file.
#
# VARIANT (third argument, default clean) says what the hot paths and secret flows look like:
#   clean  service code a team that leaves the analyzers on would ship: the same shape (hot paths calling helpers two
#          levels deep, secrets read from [Secret] fields and passed through helpers, a declassifier, spans), written
#          so that no rule fires. The analyzers do the same walks, summaries and flow analyses as on the noisy variant;
#          they just find nothing. This is the variant the build-cost target (issue 13) is measured on.
#   noisy  the same files written to trip the rules: 6 diagnostics per file (TG3001, TG3005, TG3009, TG3011, TG3018,
#          TG4006), 2 400 for 400 files. It measures the analyzers plus the price of reporting findings (creating the
#          diagnostics, the compiler and MSBuild rendering and logging them), which a project that builds clean does not
#          pay. Kept to compare with the earlier runs, which used it.
set -euo pipefail
dir=${1:?usage: generate-project.sh DIR [FILES] [clean|noisy]}
files=${2:-400}
variant=${3:-clean}
case $variant in clean|noisy) ;; *) echo "unknown variant '$variant' (clean or noisy)" >&2; exit 2 ;; esac
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
cat > "$dir/Generated.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
    <NoWarn>\$(NoWarn);CS1591;CS0169;CS0414;CS0649;CS8618</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$repo/src/Runtime/TailGuard/TailGuard.csproj" />
  </ItemGroup>
</Project>
XML
noisy_file() {
cat <<CS
using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using TailGuard;

namespace Perf.Gen$i;

[R2P2Service]
public interface IStore$i
{
    int Get(ReadOnlySpan<byte> key, Span<byte> destination);
    bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

[TrustDomain]
public interface IVault$i
{
    bool Verify([Bounded(64)] ReadOnlySpan<byte> password);
    int Sign([Bounded(256)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);
}

public sealed class Store$i : IStore$i
{
    private readonly Dictionary<int, byte[]> _values = new();
    private string _last = "";

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var hash = Hash(key);
        if (!_values.TryGetValue(hash, out var value)) return -1;
        value.AsSpan().CopyTo(destination);
        _last = "get " + hash;
        return value.Length;
    }

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _values[Hash(key)] = value.ToArray();
        Func<int> size = () => _values.Count;
        return size() > 0 && Describe(key.Length).Length > 0;
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var h = 17;
        foreach (var b in key) h = h * 31 + b;
        return h;
    }

    private static string Describe(int n) => Format(n);
    private static string Format(int n) => \$"n={n}";
}

public sealed class Vault$i : IVault$i
{
    [Secret] private readonly byte[] _key = new byte[32];
    private byte[] _audit = Array.Empty<byte>();

    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(password, digest);
        return CryptographicOperations.FixedTimeEquals(digest, _key);
    }

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var head = _key.AsSpan(0, 16);
        var mac = Mac(_key, message);
        mac.CopyTo(signature);
        if (message.Length == 0) _audit = Copy(head.ToArray());
        return mac.Length;
    }

    private static byte[] Copy(byte[] source) => Pass(source);
    private static byte[] Pass(byte[] value) => value;

    [Declassifier]
    private static byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message) => HMACSHA256.HashData(key, message);
}

[HotPath]
public sealed class Pipeline$i
{
    private readonly List<int> _items = new() { 1, 2, 3 };
    private object? _boxed;

    public int Run(int seed)
    {
        var total = 0;
        foreach (var item in _items) total += item * seed;
        _boxed = total;
        return total + Helper(seed);
    }

    private static int Helper(int x) => x > 3 ? x : Helper(x + 1);
}

public static class Cold$i
{
    public static string Report(IEnumerable<int> values)
    {
        var ordered = values.Where(v => v > 0).OrderBy(v => v).Select(v => v.ToString()).ToList();
        var text = string.Join(",", ordered);
        for (var k = 0; k < ordered.Count; k++) text += ordered[k];
        return \$"{ordered.Count}: {text}";
    }

    public static int Sum(int[] values)
    {
        var sum = 0;
        for (var k = 0; k < values.Length; k++) sum += values[k];
        return sum;
    }
}
CS
}

clean_file() {
cat <<CS
using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using TailGuard;

namespace Perf.Gen$i;

[R2P2Service]
public interface IStore$i
{
    int Get(ReadOnlySpan<byte> key, Span<byte> destination);
    bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

[TrustDomain]
public interface IVault$i
{
    bool Verify([Bounded(64)] ReadOnlySpan<byte> password);
    int Sign([Bounded(256)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);
}

public sealed class Store$i : IStore$i
{
    private const int SlotSize = 256;
    private readonly Dictionary<int, byte[]> _values = new();
    private readonly int[] _lengths = new int[64];
    private int _lastHash;

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var hash = Hash(key);
        if (!_values.TryGetValue(hash, out var value)) return -1;
        var length = _lengths[hash & 63];
        value.AsSpan(0, length).CopyTo(destination);
        _lastHash = hash;
        return length;
    }

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var hash = Hash(key);
        if (value.Length > SlotSize || !_values.TryGetValue(hash, out var slot)) return false;
        value.CopyTo(slot);
        _lengths[hash & 63] = value.Length;
        return Describe(key.Length) > 0;
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var h = 17;
        foreach (var b in key) h = h * 31 + b;
        return h;
    }

    private static int Describe(int n) => Format(n);
    private static int Format(int n) => n * 31 + 7;
}

public sealed class Vault$i : IVault$i
{
    [Secret] private readonly byte[] _key = new byte[32];
    [Secret] private readonly byte[] _head = new byte[16];
    [Secret] private byte[] _current = Array.Empty<byte>();
    private int _signed;

    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(password, digest);
        return CryptographicOperations.FixedTimeEquals(digest, _key);
    }

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var head = _key.AsSpan(0, 16);
        var mac = Mac(_key, message);
        mac.CopyTo(signature);
        if (message.Length == 0) head.CopyTo(_head);
        _current = Copy(_key);
        _signed++;
        return mac.Length;
    }

    private static byte[] Copy(byte[] source) => Pass(source);
    private static byte[] Pass(byte[] value) => value;

    [Declassifier]
    private static byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message) => HMACSHA256.HashData(key, message);
}

[HotPath]
public sealed class Pipeline$i
{
    private readonly List<int> _items;
    private int _last;

    public Pipeline$i(List<int> items) => _items = items;

    public int Run(int seed)
    {
        var total = 0;
        foreach (var item in _items) total += item * seed;
        _last = total;
        return total + Helper(seed);
    }

    private static int Helper(int x) => x > 3 ? x : Helper(x + 1);
}

public static class Cold$i
{
    public static string Report(IEnumerable<int> values)
    {
        var ordered = values.Where(v => v > 0).OrderBy(v => v).Select(v => v.ToString()).ToList();
        var text = string.Join(",", ordered);
        for (var k = 0; k < ordered.Count; k++) text += ordered[k];
        return \$"{ordered.Count}: {text}";
    }

    public static int Sum(int[] values)
    {
        var sum = 0;
        for (var k = 0; k < values.Length; k++) sum += values[k];
        return sum;
    }
}
CS
}

for i in $(seq 1 "$files"); do
  "${variant}_file" > "$dir/File$i.cs"
done
echo "wrote $files $variant files to $dir"
