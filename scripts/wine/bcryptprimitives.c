/* ProcessPrng, the one function Rust's standard library (1.78 and later) takes
 * from bcryptprimitives.dll on Windows for its random numbers (HashMap seeds).
 * Wine 8, Debian 12's, has no such DLL, so a Windows test binary would not even
 * load there; this stand-in fills the buffer from RtlGenRandom
 * (advapi32 SystemFunction036), Windows's own generator, as ProcessPrng does.
 * Used only by scripts/windows-unit-tests, never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
