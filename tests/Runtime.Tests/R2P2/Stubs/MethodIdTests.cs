using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class MethodIdTests
{
    // FNV-1a 32 reference values: "" -> 0x811C9DC5, "a" -> 0xE40C292C, "foobar" -> 0xBF9CF968.
    [Theory]
    [InlineData("", 0x811C ^ 0x9DC5)]
    [InlineData("a", 0xE40C ^ 0x292C)]
    [InlineData("foobar", 0xBF9C ^ 0xF968)]
    public void The_hashed_id_is_fnv1a_32_folded_to_16_bits(string name, int expected)
        => Assert.Equal((ushort)expected, MethodId.FromName(name));
}
