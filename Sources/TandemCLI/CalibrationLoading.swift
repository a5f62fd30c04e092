import TandemCollaboration

/// The calibration `tandem` runs with: `--profile FILE` when given, else the device's
/// shipped one (said on stderr), else none (the policy's default threshold).
func tandemCalibration(profile: String?, device: String) throws -> Calibration? {
    if let profile { return try Calibration.load(from: profile) }
    guard let shipped = Calibration.shipped(device: device) else { return nil }
    printError("tandem: the shipped calibration of \(device) (HumanEval dev split); --profile FILE uses your own")
    return shipped
}
