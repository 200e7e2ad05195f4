// Benchmark-only shim: GCC 13's libstdc++ exports std::ios_base_library_init() (GLIBCXX_3.4.32), which code
// compiled against it calls to make sure the standard streams are initialised. Debian 12's libstdc++ initialises
// them in its own constructor, so a no-op is the faithful stand-in.
namespace std { void ios_base_library_init() {} }
