#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF shared library as weak (VER_FLG_WEAK), in place.

Benchmark-only workaround: TorchSharp-cpu 0.107's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13), which
Debian 12's libstdc++ lacks. A weak requirement lets the loader proceed; the one symbol it needs from that version
(std::ios_base_library_init) is supplied by a preloaded shim (ios_base_shim.cpp). Never used by the product.
"""
import struct
import sys

VER_FLG_WEAK = 0x2


def weaken(path: str, version: str) -> int:
    data = bytearray(open(path, "rb").read())
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "expects a 64-bit little-endian ELF"
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link = struct.unpack_from("<IIQQQQI", data, off)
        sections.append((name, sh_type, sh_offset, sh_size, sh_link))
    SHT_GNU_VERNEED = 0x6FFFFFFE
    changed = 0
    for _name, sh_type, sh_offset, _size, sh_link in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = sections[sh_link][2]
        need = sh_offset
        while True:
            _vn_version, vn_cnt, _vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, need)
            aux = need + vn_aux
            for _ in range(vn_cnt):
                _hash, flags, _other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                end = data.index(b"\0", strtab + vna_name)
                if data[strtab + vna_name:end].decode() == version:
                    struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                    changed += 1
                if vna_next == 0:
                    break
                aux += vna_next
            if vn_next == 0:
                break
            need += vn_next
    open(path, "wb").write(data)
    return changed


if __name__ == "__main__":
    n = weaken(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[1]}: {n} requirement(s) of {sys.argv[2]} marked weak")
    sys.exit(0 if n else 1)
