"""What-if coverage: the rate of a year if places were added or removed per component, or
with another number of children under 3 (the Scénarios page)."""

from __future__ import annotations

from ctg_data import errors
from ctg_data.formatting import fr_number, fr_signed
from ctg_data.indicators.coverage import (COMPONENT_LABELS, COMPONENTS, Coverage, _collect,
                                          _finish)
from ctg_data.model import CtgData


def scenario(data: CtgData, annee: int, *, delta_places: dict[str, int],
             enfants_moins_3_ans=None, cible=None) -> Coverage:
    """The coverage of `annee` if `delta_places` places were added per component (keys of
    COMPONENTS; negative = closures, never below 0) and, optionally, with another number of
    children under 3. The alerts say what the scenario changed; `limites` says which removal
    was capped at the places there are, and why."""
    unknown = set(delta_places) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"Composante inconnue : {', '.join(sorted(unknown))}")
    inputs = _collect(data, annee)
    places = dict(inputs["places"])
    problems, detail = list(inputs["problems"]), list(inputs["detail"])
    limites: list[errors.Problem] = []
    for key, delta in delta_places.items():
        if not delta:
            continue
        current = places[key] or 0.0
        label = COMPONENT_LABELS[key]
        if current + delta >= 0:
            change = errors.problem("scenario_places", delta=fr_signed(delta, 0, unit=None),
                                    composante=label)
        else:
            # A component cannot go below zero: the removal stops at the places there are,
            # and the page says so rather than silently computing another scenario.
            limites.append(_removal_capped(label, delta, current, annee))
            change = errors.problem("scenario_places_limitees",
                                    delta=fr_signed(delta, 0, unit=None), composante=label,
                                    limite=fr_signed(-current, 0, unit=None))
            delta = -current
        places[key] = current + delta
        problems.append(change)
        # The detail line is the alert without its final full stop.
        detail.append((change.message[:-1], float(delta)))
    problems.extend(limites)
    if enfants_moins_3_ans is not None:
        inputs["enfants"] = float(enfants_moins_3_ans)
        problems.append(errors.problem("scenario_enfants", enfants=fr_number(inputs["enfants"])))
    inputs.update(places=places, problems=problems, detail=detail)
    result = _finish(**inputs, cible=cible)
    result.limites = [p.message for p in limites]
    return result


def _removal_capped(label: str, delta, current: float, annee: int) -> errors.Problem:
    """The alert of a removal capped at the `current` places of component `label`."""
    there = (f"seules {fr_number(current)} places sont comptées" if current > 1 else
             f"{fr_number(current)} place est comptée" if current else
             "aucune place n'est comptée")
    return errors.problem("scenario_retrait_limite", composante=label, demande=fr_number(-delta),
                          disponibles=there, annee=annee,
                          limite=f"{fr_number(current)} place{'s' if current > 1 else ''}")
