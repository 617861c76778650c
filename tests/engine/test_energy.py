"""Energy of a run: RAPL counters read from a powercap tree in the kernel's layout, else the CPU-time
estimate, and CO2e from the grid intensity."""

import pytest

from assay.engine.energy import JOULES_PER_KWH, EnergyMeter, rapl_domains, split_by_model


def domain(root, name, energy_uj, wrap=1_000_000_000):
    path = root / name
    path.mkdir()
    (path / "name").write_text("package-0\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{wrap}\n")
    return path


def test_rapl_packages_summed_with_wraparound(tmp_path):
    first = domain(tmp_path, "intel-rapl:0", 5_000_000)
    second = domain(tmp_path, "intel-rapl:1", 999_000_000)
    domain(tmp_path, "intel-rapl:0:0", 1)  # a subdomain: counted inside its package already
    assert [d.name for d in rapl_domains(tmp_path)] == ["intel-rapl:0", "intel-rapl:1"]
    meter = EnergyMeter({"grid_g_per_kwh": 360.0}, powercap=tmp_path)
    (first / "energy_uj").write_text("7000000\n")  # +2 J
    (second / "energy_uj").write_text("500000\n")  # wrapped: +1.5 J
    use = meter.read()
    assert use.joules == pytest.approx(3.5) and use.method.startswith("RAPL")
    assert use.co2e_g == pytest.approx(3.5 / JOULES_PER_KWH * 360.0)


def test_without_rapl_the_estimate_names_its_power_figure(tmp_path):
    meter = EnergyMeter({"watts_per_core": 10.0}, powercap=tmp_path / "absent")
    sum(i * i for i in range(300_000))  # some CPU time to account for
    use = meter.read()
    assert use.method.startswith("estimate: process CPU time") and "10 W per busy core" in use.method
    assert use.joules == pytest.approx(use.cpu_s * 10.0) and use.joules > 0 and use.co2e_g > 0
    assert use.grid_g_per_kwh == 480.0


def test_energy_is_shared_by_request_time():
    assert split_by_model(10.0, {"a": 3.0, "b": 1.0}) == {"a": 7.5, "b": 2.5}
    assert split_by_model(10.0, {"a": 0.0, "b": 0.0}) == {"a": 5.0, "b": 5.0}
