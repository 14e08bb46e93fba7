/*
 * stmt_dump: print every prepared statement of the product as
 * "name<TAB>sql" lines, from build/libjetstack.a, so the benchmark's
 * EXPLAIN ANALYZE runs exactly the SQL the FastCGI program prepares.
 * Built by the Makefile (make unit) as build/tests/stmt_dump; used by
 * tests/integration/test_statements.py and tests/bench/portals_page.py.
 */
#include "db_int.h"

#include <stdio.h>

int main(void)
{
	for (int i = 0; i < ST__MAX; i++) {
		const char *n = stmt_name((enum stmt)i), *s = stmt_sql((enum stmt)i);

		if (n != NULL && s != NULL)
			printf("%s\t%s\n", n, s);
	}
	return 0;
}
