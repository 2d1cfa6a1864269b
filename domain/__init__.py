"""The domain of formabot: funded training actions, their fields, rules and lifecycle. Pure: no I/O."""
