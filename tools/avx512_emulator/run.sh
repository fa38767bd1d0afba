#!/usr/bin/env bash
# run.sh - run a static x86-64 Linux program on an emulated AVX-512 CPU.
#
# Usage:
#   tools/avx512_emulator/run.sh [options] -- ./static-binary [args...]
#
# The machine we develop on has AVX2 but no AVX-512, and QEMU's TCG does not
# emulate AVX-512. Bochs (Debian's 2.7) does. This script:
#   1. installs what it needs with apt-get if it is missing (bochs, bochs-term,
#      bochsbios, vgabios, isolinux, syslinux-common, xorriso, gcc, python3);
#   2. gets a guest kernel into the work dir without installing one on the
#      host: by default it builds a small one (once, cached) from Debian's
#      linux-source package, fetched with `apt-get download`; --kernel debian
#      uses Debian's stock linux-image-amd64 instead (unpacked with dpkg-deb);
#   3. builds an initramfs (newc cpio, written by mkinitramfs.py, no root
#      tricks or loop mounts) whose /init is guest_init.c compiled with
#      gcc -static; /init runs the program with its arguments in /work and
#      prints @@EXIT n@@, then powers the guest off;
#   4. puts kernel + initramfs on an isolinux El Torito ISO (xorriso);
#   5. boots it in bochs (cpu model corei7_skylake_x by default, headless
#      "term" display, serial console to a file) and streams the program's
#      output (monitor.py).
#
# Exit status: the program's exit status (128+N if it died of signal N), or
# 125 if the emulator could not run it (bad usage, boot failure, kernel
# panic, timeout). Boot/run timings are printed on stderr.
#
# Options:
#   --timeout SECONDS   give up after this long, boot included (default 3600)
#   --work DIR          cache + scratch dir (default /var/tmp/sanenet-avx512-emu,
#                       or $SANENET_AVX512_EMU_WORK)
#   --cpu MODEL         bochs CPU model (default corei7_skylake_x; also
#                       corei7_icelake_u, tigerlake; see `bochs --help cpu`)
#   --mem MB            guest RAM (default 1024)
#   --file SRC[=DEST]   also copy file or directory SRC into the guest at DEST
#                       (absolute; default /work/<basename of SRC>); repeatable
#   --kernel K          guest kernel: "tiny" (default; built once from Debian's
#                       linux-source package, ~10 s boot), "debian" (stock
#                       linux-image-amd64, ~150 s boot, full driver set), or
#                       the path of a bzImage
#   --append "ARGS"     extra guest kernel command-line arguments
#   --timestamps        prefix each output line with host seconds since start
#   --verbose           show the guest's boot messages (on stderr)
#   --keep              keep the per-run directory (ISO, serial log, bochs log)
#
# Notes:
#   * The guest kernel must be told `clearcpuid=xsaves,xsavec`: bochs 2.7
#     reports a wrong compacted XSAVE size (CPUID.(EAX=0DH,ECX=1).EBX = 2688
#     instead of 2432), Linux's consistency check then disables XSAVE
#     entirely and every AVX/AVX-512 instruction raises #UD. With the
#     compacted formats hidden, Linux uses standard-format XSAVE and enables
#     x87|SSE|AVX|opmask|ZMM_Hi256|Hi16_ZMM (XCR0=0xe7).
#   * Emulation is slow: see README.md for boot time and speed figures.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EMU_FAIL=125

WORK=${SANENET_AVX512_EMU_WORK:-/var/tmp/sanenet-avx512-emu}
TIMEOUT=3600
CPU_MODEL=corei7_skylake_x
MEM_MB=1024
KERNEL=tiny
APPEND=""
VERBOSE=0
TIMESTAMPS=0
KEEP=0
EXTRA_FILES=()

say() { echo "[avx512-emu] $*" >&2; }
die() { say "error: $*"; exit "$EMU_FAIL"; }
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit "$EMU_FAIL"; }

# ---------------------------------------------------------------- arguments
while [[ $# -gt 0 ]]; do
    case "$1" in
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --work) WORK=${2:?}; shift 2 ;;
        --cpu) CPU_MODEL=${2:?}; shift 2 ;;
        --mem) MEM_MB=${2:?}; shift 2 ;;
        --file) EXTRA_FILES+=("${2:?}"); shift 2 ;;
        --kernel) KERNEL=${2:?}; shift 2 ;;
        --append) APPEND=${2?}; shift 2 ;;
        --timestamps) TIMESTAMPS=1; shift ;;
        --verbose) VERBOSE=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) say "unknown option $1"; usage ;;
        *) break ;;
    esac
done
[[ $# -ge 1 ]] || usage
PROGRAM=$1; shift
[[ -f $PROGRAM ]] || die "no such file: $PROGRAM"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds"
[[ $MEM_MB =~ ^[0-9]+$ ]] || die "--mem wants megabytes"

# ------------------------------------------------------------- host tools
# file that must exist -> Debian package that provides it
declare -A NEED=(
    [/usr/bin/bochs]=bochs
    [/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so]=bochs-term
    [/usr/share/bochs/BIOS-bochs-latest]=bochsbios
    [/usr/share/vgabios/vgabios.bin]=vgabios
    [/usr/lib/ISOLINUX/isolinux.bin]=isolinux
    [/usr/lib/syslinux/modules/bios/ldlinux.c32]=syslinux-common
    [/usr/bin/xorriso]=xorriso
    [/usr/bin/gcc]=gcc
    [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
    [/usr/bin/readelf]=binutils
    [/usr/bin/python3]=python3
)
missing=()
for f in "${!NEED[@]}"; do [[ -e $f ]] || missing+=("${NEED[$f]}"); done
if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
        apt-get update -q >&2 || true
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
            || die "apt-get install ${missing[*]} failed"
    fi
fi

# The program must be a static x86-64 ELF: the guest has no libraries.
elf_header=$(readelf -h "$PROGRAM" 2>/dev/null || true)
[[ $elf_header == *"Machine:"*"X86-64"* ]] || die "$PROGRAM is not an x86-64 ELF executable"
elf_segments=$(readelf -l "$PROGRAM" 2>/dev/null || true)
[[ $elf_segments != *"Requesting program interpreter"* ]] \
    || die "$PROGRAM is dynamically linked; build it with -static"

mkdir -p "$WORK/cache"
WORK=$(cd "$WORK" && pwd)
CACHE=$WORK/cache

# ------------------------------------------------------------------ kernel
# Resolve a Debian metapackage (linux-image-amd64, linux-source) to the
# versioned package it depends on, e.g. linux-image-6.1.0-57-amd64.
resolve_pkg() {
    local meta=$1 re=$2 pkg
    pkg=$(apt-cache depends "$meta" 2>/dev/null | awk -v re="$re" '$1 == "Depends:" && $2 ~ re {print $2; exit}')
    if [[ -z $pkg ]]; then
        apt-get update -q >&2 || true
        pkg=$(apt-cache depends "$meta" 2>/dev/null | awk -v re="$re" '$1 == "Depends:" && $2 ~ re {print $2; exit}')
    fi
    [[ -n $pkg ]] || return 1
    echo "$pkg"
}

# apt-get download PKG into DIR; prints the .deb's path.
download_deb() {
    local pkg=$1 dir=$2 deb
    mkdir -p "$dir"
    # _apt cannot write into $dir, so apt downloads as root and warns: harmless
    (cd "$dir" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed as root' >&2) || true
    deb=$(compgen -G "$dir/${pkg}_*.deb" | head -n1) || die "apt-get download $pkg failed"
    echo "$deb"
}

# Debian's stock kernel, unpacked from the .deb (not installed on the host).
debian_kernel() {
    if ! compgen -G "$CACHE/debian-kernel/vmlinuz-*" >/dev/null; then
        local pkg deb
        pkg=$(resolve_pkg linux-image-amd64 '^linux-image-[0-9]') \
            || die "cannot resolve linux-image-amd64 to a kernel package"
        say "downloading kernel package $pkg"
        rm -rf "$CACHE/dl" && deb=$(download_deb "$pkg" "$CACHE/dl")
        dpkg-deb -x "$deb" "$CACHE/dl/root"
        mkdir -p "$CACHE/debian-kernel"
        cp "$CACHE/dl/root/boot/"vmlinuz-* "$CACHE/debian-kernel/"
        rm -rf "$CACHE/dl"                  # the modules are not needed
    fi
    compgen -G "$CACHE/debian-kernel/vmlinuz-*" | sort -V | tail -n1
}

# A small kernel built once from Debian's linux-source package with
# `make tinyconfig` + tiny-kernel.config. Boots in ~10 s under bochs,
# against ~150 s for the stock kernel (which spends ~95 s just running its
# XZ decompressor in the emulator).
#
# The cache key is tiny-kernel.config + the source series (linux-source-6.1),
# not its exact version: a Debian security update of the sources is no reason
# to spend another 10+ minutes rebuilding.
tiny_kernel() {
    local frag=$HERE/tiny-kernel.config pkg ver key out
    if ! pkg=$(resolve_pkg linux-source '^linux-source-[0-9]'); then
        # no package lists (offline?): any kernel built earlier will do
        out=$(compgen -G "$CACHE/tiny-kernel/bzImage-*[0-9a-f]" | tail -n1) \
            || die "cannot resolve linux-source to a versioned package"
        say "warning: cannot look up linux-source; using the cached $out"
        echo "$out"
        return
    fi
    key=$(cat "$frag" <(echo "$pkg") | sha256sum | cut -c1-16)
    out=$CACHE/tiny-kernel/bzImage-$key
    if [[ ! -f $out ]]; then
        ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
        local build=$CACHE/kbuild deb src log=$CACHE/kbuild.log
        local -a tools=()
        for t in make flex bison bc; do command -v "$t" >/dev/null || tools+=("$t"); done
        [[ -e /usr/include/libelf.h ]] || tools+=(libelf-dev)
        [[ -e /usr/include/openssl/ssl.h ]] || tools+=(libssl-dev)
        if [[ ${#tools[@]} -gt 0 ]]; then
            say "installing kernel build tools: ${tools[*]}"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                "${tools[@]}" >&2 || die "apt-get install ${tools[*]} failed"
        fi
        say "building the guest kernel from $pkg $ver (once; ~10 min on 2 cores, log: $log)"
        rm -rf "$build" && mkdir -p "$build/obj"
        deb=$(download_deb "$pkg" "$build")
        dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' \
            | tar -xJ -C "$build" || die "cannot unpack $deb"
        rm -f "$deb"
        src=$(compgen -G "$build/linux-source-*" | head -n1) || die "no source tree in $deb"
        {
            make -C "$src" O="$build/obj" ARCH=x86_64 tinyconfig &&
            "$src/scripts/kconfig/merge_config.sh" -m -O "$build/obj" "$build/obj/.config" "$frag" &&
            make -C "$src" O="$build/obj" ARCH=x86_64 olddefconfig
        } > "$log" 2>&1 || { tail -n 20 "$log" >&2; die "kernel configuration failed"; }
        # every option of the fragment must have survived olddefconfig
        local line bad=0
        while IFS= read -r line; do
            if [[ $line == *=n ]]; then
                grep -qx "# ${line%=n} is not set" "$build/obj/.config" && continue
            else
                grep -qxF "$line" "$build/obj/.config" && continue
            fi
            say "kernel config: $line did not stick"; bad=1
        done < <(grep -E '^CONFIG_' "$frag")
        [[ $bad -eq 0 ]] || die "kernel configuration does not match $frag"
        make -C "$src" O="$build/obj" ARCH=x86_64 -j"$(nproc)" bzImage >> "$log" 2>&1 \
            || { tail -n 30 "$log" >&2; die "kernel build failed (see $log)"; }
        mkdir -p "$CACHE/tiny-kernel"
        cp "$build/obj/arch/x86/boot/bzImage" "$out.tmp" && mv "$out.tmp" "$out"
        cp "$build/obj/.config" "$out.config"
        rm -rf "$build"
        say "guest kernel ready: $out"
    fi
    echo "$out"
}

case $KERNEL in
    tiny) KERNEL=$(tiny_kernel) ;;
    debian) KERNEL=$(debian_kernel) ;;
esac
[[ -f $KERNEL ]] || die "no kernel image: $KERNEL"

# -------------------------------------------------------------- guest init
init_src=$HERE/guest_init.c
init_bin=$CACHE/init-$(sha256sum "$init_src" | cut -c1-16)
if [[ ! -x $init_bin ]]; then
    gcc -static -O2 -Wall -o "$init_bin.tmp" "$init_src" || die "cannot build $init_src"
    mv "$init_bin.tmp" "$init_bin"
fi

# ----------------------------------------------------------- per-run files
mkdir -p "$WORK/runs"
RUN=$(mktemp -d "$WORK/runs/run.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { if [[ $KEEP -eq 0 ]]; then rm -rf "$RUN"; else say "kept $RUN"; fi; }
trap cleanup EXIT

prog_name=$(basename "$PROGRAM")
{
    printf '/work/%s\0' "$prog_name"
    for a in "$@"; do printf '%s\0' "$a"; done
} > "$RUN/argv"
specs=("$PROGRAM=/work/$prog_name")
for spec in "${EXTRA_FILES[@]}"; do
    src=${spec%%=*}
    if [[ $spec == *=* ]]; then dest=${spec#*=}; else dest=/work/$(basename "$src"); fi
    [[ -e $src ]] || die "--file: no such file: $src"
    specs+=("$src=$dest")
done

mkdir -p "$RUN/iso/isolinux"
python3 "$HERE/mkinitramfs.py" "$RUN/iso/initrd.img" "$init_bin" "$RUN/argv" "${specs[@]}" \
    || die "cannot build the initramfs"
cp "$KERNEL" "$RUN/iso/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$RUN/iso/isolinux/"

# Kernel command line:
#   clearcpuid=xsaves,xsavec  work around bochs' XSAVE size bug (see header)
#   panic=0                   hang on panic (monitor.py spots it) rather than
#                             reboot and boot again
#   the rest                  less boot work / fewer messages on a slow CPU
cmdline="console=ttyS0,115200 rdinit=/init panic=0 clearcpuid=xsaves,xsavec"
cmdline+=" mitigations=off nokaslr nowatchdog tsc=reliable no_timer_check"
cmdline+=" lpj=1000000 noresume"
if [[ $VERBOSE -eq 1 ]]; then
    cmdline+=" earlyprintk=serial,ttyS0,115200 loglevel=7"
else
    cmdline+=" quiet loglevel=3"
fi
[[ -n $APPEND ]] && cmdline+=" $APPEND"
cat > "$RUN/iso/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $cmdline
EOF
xorriso -as mkisofs -quiet -o "$RUN/boot.iso" \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -R "$RUN/iso" 2>"$RUN/xorriso.log" \
    || { cat "$RUN/xorriso.log" >&2; die "xorriso failed"; }
rm -rf "$RUN/iso"

# ------------------------------------------------------------------ bochs
# clock: sync=none runs the guest as fast as the host can. ips only sets the
# rate of the emulated timers (PIT, LAPIC, HPET) per instruction; the guest's
# TSC advances by one per instruction whatever ips is.
cat > "$RUN/bochsrc" <<EOF
megs: $MEM_MB
cpu: model=$CPU_MODEL, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
display_library: term
com1: enabled=1, mode=file, dev=serial.txt
clock: sync=none, time0=local
mouse: enabled=0
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF
# Debian's bochs is built with the internal debugger, which stops before the
# first instruction: tell it to continue.
echo c > "$RUN/debugger.rc"

say "booting $(basename "$KERNEL") on bochs cpu=$CPU_MODEL"
mon_args=(--rundir "$RUN" --timeout "$TIMEOUT")
[[ $VERBOSE -eq 1 ]] && mon_args+=(--verbose)
[[ $TIMESTAMPS -eq 1 ]] && mon_args+=(--timestamps)
set +e
python3 "$HERE/monitor.py" "${mon_args[@]}" -- \
    bochs -q -f "$RUN/bochsrc" -rc "$RUN/debugger.rc"
rc=$?
set -e
# keep the evidence (serial log, bochs log, ISO) when the emulator failed
[[ $rc -eq $EMU_FAIL ]] && KEEP=1
exit "$rc"
