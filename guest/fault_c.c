/*
 * Write outside RAM: with kvmrun's default 16 MiB, 0x40000000 (1 GiB) is
 * not RAM, so kvmrun ends the run as a guest fault (status 100) and names
 * the address. With --mem 2G it is RAM, the write succeeds and we say so.
 */
#include "kvmrun.h"

#define BEYOND_RAM 0x40000000UL

int main(void)
{
	printf("writing 0xdeadbeef to %p\n", (void *)BEYOND_RAM);
	*(volatile uint32_t *)BEYOND_RAM = 0xdeadbeef;
	printf("no fault: RAM reaches %p\n", (void *)BEYOND_RAM);
	return 1;
}
