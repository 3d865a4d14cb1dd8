package planner

import "openwit/storage/catalog"

// viewReloptions is pg_class.reloptions of a view WITH CHECK OPTION, a
// text[] as PostgreSQL stores it ({check_option=local}); psql's \d+
// prints it as the "Options:" footer.
func viewReloptions(v *catalog.View) string {
	return "{check_option=" + v.CheckOption + "}"
}
