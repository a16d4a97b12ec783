#!/usr/bin/env bats
# CPU state at entry, proven from inside the guest.
load helpers

setup() { need_kvm; }

@test "real mode is the default: CR0.PE clear, CS:IP = 1000:0000, stack below the image" {
	run -0 --separate-stderr kvmrun "$G/real_state.bin"
	[ "$output" = "real cr0=00000010 cs=1000 ds=1000 ss=0000 sp=0000" ]
	[ "$stderr" = "" ]
}

@test "real mode at --entry 0x7c00: CS = 0x07c0, SS:SP = 0000:7c00" {
	run -0 --separate-stderr kvmrun --entry 0x7c00 "$G/real_state.bin"
	[ "$output" = "real cr0=00000010 cs=07c0 ds=07c0 ss=0000 sp=7c00" ]
}

@test "real mode at --entry 0x12340: SS:SP addresses the load address" {
	run -0 --separate-stderr kvmrun --mode real --entry 0x12340 "$G/real_state.bin"
	[ "$output" = "real cr0=00000010 cs=1234 ds=1234 ss=0234 sp=0000" ]
}

@test "protected mode: PE set, flat CS 0x08 and data 0x10, ESP at the entry" {
	run -0 --separate-stderr kvmrun --mode protected "$G/prot_state.bin"
	[ "$output" = "protected cr0=00000011 cs=0008 ds=0010 ss=0010 esp=00100000" ]
	[ "$stderr" = "" ]
}

@test "long mode: paging and PAE on, EFER.LME|LMA, 64-bit CS 0x18, RSP at the entry" {
	run -0 --separate-stderr kvmrun --mode long "$G/long_state.bin"
	[ "$output" = "long cr0=80000011 cr4=00000020 efer=00000500 cs=0018 rsp=0000000000100000" ]
	[ "$stderr" = "" ]
}

@test "long mode identity-maps all RAM: --mem 4G runs at 4 GiB RAM" {
	run -0 --separate-stderr kvmrun --mode long --mem 4G "$G/long_state.bin"
	[ "$output" = "long cr0=80000011 cr4=00000020 efer=00000500 cs=0018 rsp=0000000000100000" ]
}

@test "long mode with 300 GiB of RAM (the top 297 GiB above 4 GiB) needs its tables above 1 MiB: refused at the default entry" {
	run -104 --separate-stderr kvmrun --mode long --mem 300G "$G/long_state.bin"
	last=$(printf '%x' $((0x100000 + $(stat -c %s "$G/long_state.bin") - 1)))
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest '$G/long_state.bin': the image at 0x100000-0x$last overlaps the runner's long-mode tables at 0x1000-0x130fff; load it at or above 0x131000 with --entry" ]
}

@test "64-bit mode keeps bit 32 of a register; 32-bit mode guest exits 0 through 0xf8" {
	run -42 --separate-stderr kvmrun --mode long "$G/long_mode.bin"
	[ "$output" = "L11" ]
	run -0 --separate-stderr kvmrun --mode protected "$G/prot_mode.bin"
	[ "$output" = "P18" ]
}
