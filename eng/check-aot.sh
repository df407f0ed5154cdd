#!/usr/bin/env bash
# Proves the runtime stays trimmable and native-AOT compatible: publishes a tiny consumer with PublishAot, rooting the
# whole TailGuard assembly (so every type is analysed, not only what the consumer reaches), with warnings as errors,
# then runs the native binary (an R2P2 call over the in-memory network and a domain on the simulated monitor).
# The build already runs the trim/AOT analyzers on the runtime (IsAotCompatible); this is the full compiler's verdict.
#
#   eng/check-aot.sh [--keep]     (--keep leaves the temporary consumer folder for inspection)
#
# Needs the ILCompiler package from the NuGet registry and a C toolchain (gcc or clang) for the native link.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

keep=false
case "${1:-}" in
  "") ;;
  --keep) keep=true ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "check-aot: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/tailguard-aot.XXXXXX")
cleanup() { if $keep; then echo "check-aot: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

linker=()
command -v clang >/dev/null 2>&1 || { command -v gcc >/dev/null 2>&1 && linker=(-p:CppCompilerAndLinker=gcc); }

cat > "$work/AotConsumer.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <PublishAot>true</PublishAot>
    <TrimmerSingleWarn>false</TrimmerSingleWarn>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$repo/src/Runtime/TailGuard/TailGuard.csproj" />
    <TrimmerRootAssembly Include="TailGuard" />
  </ItemGroup>
</Project>
PROJECT

cat > "$work/Program.cs" <<'PROGRAM'
using System.Buffers;
using TailGuard.R2P2;
using TailGuard.Tyche.Simulation;

var network = new InMemoryNetwork(seed: 1);
await using var server = new R2P2Server(network.Bind("10.0.0.1:9000"), new Echo());
await using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress);
using (R2P2Response response = await client.CallAsync("ping"u8.ToArray()))
{
    if (response.Payload.Length != 4)
    {
        return 1;
    }
}

using var monitor = new SimulatedMonitor();
var domain = monitor.CreateDomain();
Console.WriteLine($"native AOT: an R2P2 call answered; domain {domain} created on the {monitor.BackendName} monitor");
return 0;

sealed class Echo : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        foreach (ReadOnlyMemory<byte> segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}
PROGRAM

echo "check-aot: publishing a native AOT consumer of src/Runtime/TailGuard (this takes a few minutes)"
if ! dotnet publish "$work/AotConsumer.csproj" -c Release -o "$work/out" -warnaserror "${linker[@]}" > "$work/publish.log" 2>&1; then
  grep -E 'warning|error' "$work/publish.log" | sed 's/ \[.*\]$//' | sort -u >&2 || tail -30 "$work/publish.log" >&2
  echo "check-aot: FAILED: the runtime is not trim/AOT clean (see above)" >&2
  exit 1
fi

"$work/out/AotConsumer"
echo "check-aot: ok (no trim or AOT warning; the native consumer ran)"
